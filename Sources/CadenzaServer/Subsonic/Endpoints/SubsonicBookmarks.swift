import Fluent
import Foundation
import SQLKit

/// Bookmarks and the saved play queue (also by index, OpenSubsonic `indexBasedQueue`).
enum SubsonicBookmarks {
    static let handlers: [String: SubsonicAPI.Handler] = [
        "getBookmarks": { context in
            let rows = try await context.db.raw(
                """
                SELECT track_id, position_ms, comment, created_at, updated_at FROM bookmarks WHERE user_id = \(bind: context.user.userID)
                ORDER BY updated_at DESC
                """
            ).all()
            let ids = try rows.map { try $0.decode(column: "track_id", as: Int64.self) }
            let tracks = try await CatalogQueries.tracks(visible: context.visible, paging: .init(limit: 100_000, offset: 0), ids: ids, on: context.db)
            let songs = try await SubsonicNodes.songs(tracks, context: context, name: "entry")
            let byID = Dictionary(zip(tracks.map(\.id), songs), uniquingKeysWith: { first, _ in first })
            var node = SubsonicNode("bookmarks")
            node.add(
                list: "bookmark",
                try rows.enumerated().compactMap { index, row -> SubsonicNode? in
                    guard let entry = byID[String(ids[index])] else { return nil }
                    var bookmark = SubsonicNode("bookmark")
                    bookmark.set("position", try row.decode(column: "position_ms", as: Int64.self))
                    bookmark.set("username", context.user.username)
                    bookmark.set("comment", try row.decode(column: "comment", as: String?.self) ?? "")
                    bookmark.set(date: "created", millis: try row.decode(column: "created_at", as: Int64.self))
                    bookmark.set(date: "changed", millis: try row.decode(column: "updated_at", as: Int64.self))
                    bookmark.add(entry)
                    return bookmark
                })
            return .node(node)
        },
        "createBookmark": { context in
            let id = try SubsonicID.require(context.params, .track, what: "Song")
            guard context.params.string("position") != nil else { throw SubsonicError.missing("position") }
            let position = try context.params.int("position", default: 0, range: 0...Int(Int32.max) * 1000)
            guard try await SubsonicAnnotation.isVisible(type: "track", id: id, context: context) else { throw SubsonicError.notFound("Song") }
            let now = Clock.nowMillis()
            try await context.db.raw(
                """
                INSERT INTO bookmarks (user_id, track_id, position_ms, comment, created_at, updated_at)
                VALUES (\(bind: context.user.userID), \(bind: id), \(bind: Int64(position)), \(bind: context.params.string("comment").map { String($0.prefix(1000)) }), \(bind: now), \(bind: now))
                ON CONFLICT (user_id, track_id) DO UPDATE SET position_ms = excluded.position_ms, comment = excluded.comment, updated_at = excluded.updated_at
                """
            ).run()
            return .empty
        },
        "deleteBookmark": { context in
            let id = try SubsonicID.require(context.params, .track, what: "Song")
            try await context.db.raw("DELETE FROM bookmarks WHERE user_id = \(bind: context.user.userID) AND track_id = \(bind: id)").run()
            return .empty
        },
        "getPlayQueue": { context in try await playQueue(context, byIndex: false) },
        "getPlayQueueByIndex": { context in try await playQueue(context, byIndex: true) },
        "savePlayQueue": { context in
            let ids = try await SubsonicPlaylists.songIDs(context.params.all("id"), context: context)
            var index: Int?
            if let current = context.params.string("current") {
                guard let parsed = SubsonicID.parse(current, assumed: .track), let position = ids.firstIndex(of: parsed.id) else {
                    throw SubsonicError.invalid("current must be one of the queued songs.")
                }
                index = position
            }
            try await save(context, ids: ids, index: index)
            return .empty
        },
        "savePlayQueueByIndex": { context in
            let ids = try await SubsonicPlaylists.songIDs(context.params.all("id"), context: context)
            let index = try context.params.optionalInt("currentIndex", range: 0...Int(Int32.max))
            if let index, !(0..<max(ids.count, 1)).contains(index) || ids.isEmpty {
                throw SubsonicError.invalid("currentIndex is outside the queue.")
            }
            try await save(context, ids: ids, index: index)
            return .empty
        },
    ]

    static func save(_ context: SubsonicContext, ids: [Int64], index: Int?) async throws {
        let position = try context.params.int("position", default: 0, range: 0...Int(Int32.max) * 1000)
        let client = String((context.params.string("c") ?? "subsonic").prefix(100))
        if ids.isEmpty {
            try await context.db.raw("DELETE FROM play_queues WHERE user_id = \(bind: context.user.userID)").run()
            return
        }
        let list = ids.map(String.init).joined(separator: ",")
        try await context.db.raw(
            """
            INSERT INTO play_queues (user_id, current_index, position_ms, track_ids, changed_by, updated_at)
            VALUES (\(bind: context.user.userID), \(bind: index), \(bind: Int64(position)), \(bind: list), \(bind: client), \(bind: Clock.nowMillis()))
            ON CONFLICT (user_id) DO UPDATE SET current_index = excluded.current_index, position_ms = excluded.position_ms,
                track_ids = excluded.track_ids, changed_by = excluded.changed_by, updated_at = excluded.updated_at
            """
        ).run()
    }

    static func playQueue(_ context: SubsonicContext, byIndex: Bool) async throws -> SubsonicResult {
        guard let row = try await context.db.raw("SELECT * FROM play_queues WHERE user_id = \(bind: context.user.userID)").first() else {
            return .empty
        }
        let ids = try row.decode(column: "track_ids", as: String.self).split(separator: ",").compactMap { Int64($0) }
        let tracks = try await CatalogQueries.tracks(
            visible: context.visible, paging: .init(limit: 100_000, offset: 0), ids: Array(Set(ids)), on: context.db)
        let byID = Dictionary(tracks.map { (Int64($0.id) ?? 0, $0) }, uniquingKeysWith: { first, _ in first })
        let entries = ids.compactMap { byID[$0] }
        var node = SubsonicNode(byIndex ? "playQueueByIndex" : "playQueue")
        if let index = try row.decode(column: "current_index", as: Int?.self), index < ids.count {
            if byIndex { node.set("currentIndex", index) } else { node.set("current", SubsonicID.make(.track, ids[index])) }
        }
        node.set("position", try row.decode(column: "position_ms", as: Int64.self))
        node.set("username", context.user.username)
        node.set(date: "changed", millis: try row.decode(column: "updated_at", as: Int64.self))
        node.set("changedBy", try row.decode(column: "changed_by", as: String.self))
        node.add(list: "entry", try await SubsonicNodes.songs(entries, context: context, name: "entry"))
        return .node(node)
    }
}

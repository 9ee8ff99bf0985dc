import Foundation
import SQLKit

/// Reading listens back, newest first.
enum ListenQueries {
    /// Listens strictly between `minTS` and `maxTS`. With only `minTS`, the `count` listens right
    /// after it (as ListenBrainz pages forward); otherwise the newest before `maxTS`.
    static func listens(
        owner: ListenOwner, minTS: Int64?, maxTS: Int64?, count: Int, visibleLibraries: Set<Int64>,
        on db: any SQLDatabase
    ) async throws -> [ListenJSON] {
        let forward = minTS != nil && maxTS == nil
        let rows = try await db.raw(
            """
            SELECT l.listened_at, l.inserted_at, l.track_name, l.extra, r.msid, r.artist_name, r.release_name, r.track_id,
                   t.library_id
            FROM listens l JOIN listen_recordings r ON r.id = l.recording_id LEFT JOIN tracks t ON t.id = r.track_id
            WHERE l.user_id = \(bind: owner.userID) AND l.listened_at > \(bind: minTS ?? Int64.min)
              AND l.listened_at < \(bind: maxTS ?? Int64.max)
            ORDER BY l.listened_at \(unsafeRaw: forward ? "ASC" : "DESC"), l.track_name LIMIT \(bind: count)
            """
        ).all()
        let listens = try rows.map { try listen(row: $0, owner: owner, visibleLibraries: visibleLibraries) }
        return forward ? listens.reversed() : listens
    }

    /// Every listen of a user, oldest first, a page at a time (exports).
    static func page(owner: ListenOwner, after: (Int64, String)?, limit: Int, on db: any SQLDatabase) async throws -> [ListenJSON] {
        let (ts, name) = after ?? (Int64.min, "")
        return try await db.raw(
            """
            SELECT l.listened_at, l.inserted_at, l.track_name, l.extra, r.msid, r.artist_name, r.release_name, r.track_id,
                   NULL AS library_id
            FROM listens l JOIN listen_recordings r ON r.id = l.recording_id
            WHERE l.user_id = \(bind: owner.userID) AND (l.listened_at > \(bind: ts) OR (l.listened_at = \(bind: ts) AND l.track_name > \(bind: name)))
            ORDER BY l.listened_at, l.track_name LIMIT \(bind: limit)
            """
        ).all().map { try listen(row: $0, owner: owner, visibleLibraries: []) }
    }

    static func listen(row: any SQLRow, owner: ListenOwner, visibleLibraries: Set<Int64>) throws -> ListenJSON {
        var info: [String: JSONValue] = [:]
        if let extra = try row.decode(column: "extra", as: String?.self),
            case .object(let object)? = try? JSONValue.parse(Array(extra.utf8))
        {
            info = object
        }
        let msid = try row.decode(column: "msid", as: String.self)
        info["recording_msid"] = .string(msid)
        let library = try row.decode(column: "library_id", as: Int64?.self)
        let track = try row.decode(column: "track_id", as: Int64?.self)
        return ListenJSON(
            listenedAt: try row.decode(column: "listened_at", as: Int64.self),
            insertedAt: try row.decode(column: "inserted_at", as: Int64.self), msid: msid, userName: owner.username,
            metadata: .init(
                artist_name: try row.decode(column: "artist_name", as: String.self),
                track_name: try row.decode(column: "track_name", as: String.self),
                release_name: try row.decode(column: "release_name", as: String?.self), additional_info: info),
            trackID: library.map(visibleLibraries.contains) == true ? track.map(String.init) : nil)
    }

    static func bounds(userID: Int64, on db: any SQLDatabase) async throws -> (count: Int64, oldest: Int64?, latest: Int64?) {
        guard let row = try await db.raw("SELECT count, min_ts, max_ts FROM listen_counts WHERE user_id = \(bind: userID)").first() else {
            return (0, nil, nil)
        }
        return (
            try row.decode(column: "count", as: Int64.self), try row.decode(column: "min_ts", as: Int64?.self),
            try row.decode(column: "max_ts", as: Int64?.self)
        )
    }
}

import Fluent
import Foundation
import SQLKit
import Vapor

/// getShares, createShare, updateShare, deleteShare, and the public page a share link opens.
enum SubsonicSharing {
    static let handlers: [String: SubsonicAPI.Handler] = [
        "getShares": { context in
            let rows = try await context.db.raw(
                """
                SELECT s.*, u.username FROM shares s JOIN users u ON u.id = s.owner_id WHERE s.owner_id = \(bind: context.user.userID) ORDER BY s.id
                """
            ).all()
            return .node(try await sharesNode(rows, context: context))
        },
        "createShare": { context in
            var trackIDs: [Int64] = []
            for raw in try context.params.all("id", limit: SubsonicAnnotation.maxItems) {
                guard let item = SubsonicID.parse(raw, assumed: .track) else { throw SubsonicError.notFound("Item") }
                switch item.kind {
                case .track:
                    guard try await SubsonicAnnotation.isVisible(type: "track", id: item.id, context: context) else {
                        throw SubsonicError.notFound("Song")
                    }
                    trackIDs.append(item.id)
                case .album:
                    guard let album = try await CatalogQueries.album(id: item.id, visible: context.visible, on: context.db) else {
                        throw SubsonicError.notFound("Album")
                    }
                    trackIDs += album.tracks.compactMap { Int64($0.id) }
                case .playlist:
                    _ = try await SubsonicPlaylists.find(context, id: item.id, mustOwn: false)
                    trackIDs += try await SubsonicPlaylists.trackIDs(item.id, on: context.db)
                default:
                    throw SubsonicError.notFound("Item")
                }
            }
            guard !trackIDs.isEmpty else { throw SubsonicError.missing("id") }
            let expires = try context.params.millis("expires")
            let token = Secrets.randomToken(bytes: 12)
            let row = try await context.db.raw(
                """
                INSERT INTO shares (token, owner_id, description, track_ids, created_at, expires_at, visit_count)
                VALUES (\(bind: token), \(bind: context.user.userID), \(bind: context.params.string("description").map { String($0.prefix(1000)) }),
                        \(bind: trackIDs.prefix(1000).map(String.init).joined(separator: ",")), \(bind: Clock.nowMillis()), \(bind: expires), 0)
                RETURNING id
                """
            ).first()
            let id = try row?.decode(column: "id", as: Int64.self) ?? 0
            let created = try await context.db.raw("SELECT s.*, u.username FROM shares s JOIN users u ON u.id = s.owner_id WHERE s.id = \(bind: id)")
                .all()
            return .node(try await sharesNode(created, context: context))
        },
        "updateShare": { context in
            let id = try await ownShare(context)
            let expires = try context.params.millis("expires")
            try await context.db.raw(
                """
                UPDATE shares SET description = COALESCE(\(bind: context.params.string("description").map { String($0.prefix(1000)) }), description),
                    expires_at = CASE WHEN \(bind: expires != nil) THEN \(bind: expires.flatMap { $0 > 0 ? $0 : nil }) ELSE expires_at END
                WHERE id = \(bind: id)
                """
            ).run()
            return .empty
        },
        "deleteShare": { context in
            let id = try await ownShare(context)
            try await context.db.raw("DELETE FROM shares WHERE id = \(bind: id)").run()
            return .empty
        },
    ]

    /// The share named by `id`, if the caller owns it (administrators manage every share); others
    /// answer "not found", as an unknown id does, so share ids cannot be probed.
    static func ownShare(_ context: SubsonicContext) async throws -> Int64 {
        guard let id = Int64(try context.params.require("id")), id > 0,
            let row = try await context.db.raw("SELECT owner_id FROM shares WHERE id = \(bind: id)").first(),
            try row.decode(column: "owner_id", as: Int64.self) == context.user.userID || context.user.isAdmin
        else { throw SubsonicError.notFound("Share") }
        return id
    }

    /// Share rows as `<shares>`: the songs of all of them read in one statement.
    static func sharesNode(_ rows: [any SQLRow], context: SubsonicContext) async throws -> SubsonicNode {
        let idsByRow = try rows.map { try $0.decode(column: "track_ids", as: String.self).split(separator: ",").compactMap { Int64($0) } }
        let all = Array(Set(idsByRow.joined()))
        let tracks =
            all.isEmpty
            ? []
            : try await CatalogQueries.tracks(
                visible: context.visible, paging: .init(limit: all.count, offset: 0),
                ids: all, on: context.db)
        let entries = Dictionary(
            zip(tracks.map(\.id), try await SubsonicNodes.songs(tracks, context: context, name: "entry")),
            uniquingKeysWith: { first, _ in first })
        var node = SubsonicNode("shares")
        node.add(
            list: "share",
            try zip(rows, idsByRow).map { row, ids in
                try shareNode(row, entries: ids.compactMap { entries[String($0)] }, context: context)
            })
        return node
    }

    static func shareNode(_ row: any SQLRow, entries: [SubsonicNode], context: SubsonicContext) throws -> SubsonicNode {
        var node = SubsonicNode("share")
        node.set("id", String(try row.decode(column: "id", as: Int64.self)))
        node.set("url", "\(try context.app.settings.publicURL)/share/\(try row.decode(column: "token", as: String.self))")
        node.set("description", try row.decode(column: "description", as: String?.self))
        node.set("username", try row.decode(column: "username", as: String.self))
        node.set(date: "created", millis: try row.decode(column: "created_at", as: Int64.self))
        node.set(date: "expires", millis: try row.decode(column: "expires_at", as: Int64?.self))
        node.set(date: "lastVisited", millis: try row.decode(column: "last_visited_at", as: Int64?.self))
        node.set("visitCount", try row.decode(column: "visit_count", as: Int.self))
        node.add(list: "entry", entries)
        return node
    }

    // MARK: the public page

    static func share(token: String, on db: any SQLDatabase) async throws -> (id: Int64, ownerID: Int64, description: String?, tracks: [Int64])? {
        guard token.count <= 64, let row = try await db.raw("SELECT * FROM shares WHERE token = \(bind: token)").first() else { return nil }
        if let expires = try row.decode(column: "expires_at", as: Int64?.self), expires < Clock.nowMillis() { return nil }
        return (
            try row.decode(column: "id", as: Int64.self), try row.decode(column: "owner_id", as: Int64.self),
            try row.decode(column: "description", as: String?.self),
            try row.decode(column: "track_ids", as: String.self).split(separator: ",").compactMap { Int64($0) }
        )
    }

    /// `GET /share/:token`: a plain page with a player per shared song; no sign-in needed.
    @Sendable static func page(req: Request) async throws -> Response {
        guard let share = try await share(token: req.parameters.get("token") ?? "", on: req.sql),
            let owner = try await User.find(share.ownerID, on: req.db)
        else { throw APIError.notFound("Share") }
        try await req.sql.raw(
            """
            UPDATE shares SET visit_count = visit_count + 1, last_visited_at = \(bind: Clock.nowMillis()) WHERE id = \(bind: share.id)
            """
        ).run()
        let viewer = Principal(userID: try owner.requireID(), username: owner.username, role: owner.role, method: .token(id: 0))
        let visible = try await Libraries.visibleIDs(for: viewer, on: req.sql)
        let tracks = CatalogQueries.ordered(
            try await CatalogQueries.tracks(
                visible: visible, paging: .init(limit: 1000, offset: 0),
                ids: share.tracks, on: req.sql), by: share.tracks
        ) { $0.id }
        let token = SubsonicNode.escapeXML(req.parameters.get("token") ?? "")
        let items = tracks.enumerated().map { index, track in
            """
            <li><p><strong>\(SubsonicNode.escapeXML(track.title))</strong> <span class="muted">\(SubsonicNode.escapeXML(track.artist))</span></p>
            <audio controls preload="none" src="/share/\(token)/\(index)/audio" aria-label="\(SubsonicNode.escapeXML(track.title))"></audio></li>
            """
        }.joined(separator: "\n")
        let html = """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Shared music</title><link rel="icon" href="/app/icons/icon.svg" type="image/svg+xml"><link rel="stylesheet" href="/app/style.css">
            </head><body><main class="auth-card share"><img class="logo" src="/app/icons/icon.svg" alt="" width="48" height="48">
            <p class="kind muted">Shared with you on Cadenza</p><h1>\(SubsonicNode.escapeXML(share.description ?? "Shared by \(owner.username)"))</h1>
            <ol class="plain">\(items)</ol></main></body></html>
            """
        let response = Response(status: .ok, body: .init(string: html))
        response.headers.contentType = .html
        response.headers.replaceOrAdd(name: "Content-Security-Policy", value: WebPages.contentSecurityPolicy)
        response.headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        return response
    }

    /// `GET /share/:token/:index/audio`: the original file, with Range, for the page's players.
    @Sendable static func audio(req: Request) async throws -> Response {
        guard let share = try await share(token: req.parameters.get("token") ?? "", on: req.sql),
            let index = req.parameters.get("index").flatMap(Int.init), share.tracks.indices.contains(index),
            let owner = try await User.find(share.ownerID, on: req.db)
        else { throw APIError.notFound("Share") }
        let viewer = Principal(userID: try owner.requireID(), username: owner.username, role: owner.role, method: .token(id: 0))
        let visible = try await Libraries.visibleIDs(for: viewer, on: req.sql)
        guard let fileID = try await CatalogQueries.primaryFileID(trackID: share.tracks[index], visible: visible, on: req.sql),
            let found = try await CatalogQueries.streamableFile(id: fileID, visible: visible, on: req.sql)
        else { throw APIError.notFound("Song") }
        return try await StreamController.raw(path: found.absolutePath, format: found.file.format, req: req)
    }
}

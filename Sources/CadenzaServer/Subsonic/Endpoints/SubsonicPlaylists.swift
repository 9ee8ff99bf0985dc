import Fluent
import Foundation
import SQLKit

/// getPlaylists, getPlaylist, createPlaylist, updatePlaylist, deletePlaylist.
enum SubsonicPlaylists {
    typealias Playlist = PlaylistStore.Record

    static let handlers: [String: SubsonicAPI.Handler] = [
        "getPlaylists": { context in
            var ownerFilter: SQLQueryString = "(p.owner_id = \(bind: context.user.userID) OR p.public = \(bind: true))"
            if let username = context.params.string("username"), username != context.user.username {
                guard context.user.isAdmin else { throw SubsonicError.notAuthorized("Only administrators may list other users' playlists.") }
                ownerFilter = "u.username_key = \(bind: User.key(for: username))"
            }
            let playlists = try await load(ownerFilter, context: context)
            let summaries = try await PlaylistStore.visibleSummaries(playlists.map(\.id), visible: context.visible, on: context.db)
            var node = SubsonicNode("playlists")
            node.add(
                list: "playlist",
                playlists.map { playlist in
                    let summary = summaries[playlist.id] ?? (0, 0)
                    return playlistNode(playlist, songCount: summary.count, durationMs: summary.durationMs)
                })
            return .node(node)
        },
        "getPlaylist": { context in
            let playlist = try await find(context, key: "id", mustOwn: false)
            return .node(try await playlistNode(playlist, context: context))
        },
        "createPlaylist": { context in
            let songs = try await songIDs(context.params.all("songId"), context: context)
            var playlist: Playlist
            if context.params.string("playlistId") != nil {
                playlist = try await find(context, key: "playlistId", mustOwn: true)
                try await replaceTracks(playlist.id, songs, on: context)
                if let name = context.params.string("name"), !name.isEmpty {
                    try await context.db.raw("UPDATE playlists SET name = \(bind: String(name.prefix(200))) WHERE id = \(bind: playlist.id)").run()
                }
            } else {
                let name = try context.params.require("name")
                let now = Clock.nowMillis()
                let id = try await context.req.db.writeTransaction { tx -> Int64 in
                    let row = try await tx.sql.raw(
                        """
                        INSERT INTO playlists (owner_id, name, public, created_at, updated_at)
                        VALUES (\(bind: context.user.userID), \(bind: String(name.prefix(200))), \(bind: false), \(bind: now), \(bind: now)) RETURNING id
                        """
                    ).first()
                    let id = try row?.decode(column: "id", as: Int64.self) ?? 0
                    try await insertTracks(id, songs, from: 0, on: tx.sql)
                    return id
                }
                playlist = Playlist(
                    id: id, ownerID: context.user.userID, owner: context.user.username, name: name, comment: nil,
                    isPublic: false, createdAt: now, updatedAt: now)
            }
            playlist = try await find(context, id: playlist.id, mustOwn: false)
            return .node(try await playlistNode(playlist, context: context))
        },
        "updatePlaylist": { context in
            let playlist = try await find(context, key: "playlistId", mustOwn: true)
            let add = try await songIDs(context.params.all("songIdToAdd"), context: context)
            let remove = try context.params.all("songIndexToRemove").map { raw -> Int in
                guard let index = Int(raw), index >= 0 else { throw SubsonicError.invalid("songIndexToRemove must be an index.") }
                return index
            }
            var current = try await trackIDs(playlist.id, on: context.db)
            for index in Set(remove).sorted(by: >) where index < current.count { current.remove(at: index) }
            current += add
            let name = context.params.string("name"), comment = context.params.string("comment")
            let isPublic = context.params.string("public").map { $0 == "true" }
            let tracks = current
            try await context.req.db.writeTransaction { tx in
                try await tx.sql.raw("DELETE FROM playlist_tracks WHERE playlist_id = \(bind: playlist.id)").run()
                try await insertTracks(playlist.id, tracks, from: 0, on: tx.sql)
                try await tx.sql.raw(
                    """
                    UPDATE playlists SET name = \(bind: name.map { String($0.prefix(200)) } ?? playlist.name),
                        comment = \(bind: comment.map { String($0.prefix(2000)) } ?? playlist.comment),
                        public = \(bind: isPublic ?? playlist.isPublic), updated_at = \(bind: Clock.nowMillis())
                    WHERE id = \(bind: playlist.id)
                    """
                ).run()
            }
            return .empty
        },
        "deletePlaylist": { context in
            let playlist = try await find(context, key: "id", mustOwn: true)
            try await context.db.raw("DELETE FROM playlists WHERE id = \(bind: playlist.id)").run()
            return .empty
        },
    ]

    /// Song ids of a request, each a track the caller may see (else error 70, before anything is written).
    static func songIDs(_ raws: [String], context: SubsonicContext) async throws -> [Int64] {
        guard raws.count <= 5000 else { throw SubsonicError.invalid("At most 5000 songs per request.") }
        let ids = try raws.map { raw in
            guard let parsed = SubsonicID.parse(raw, assumed: .track), parsed.kind == .track else { throw SubsonicError.notFound("Song") }
            return parsed.id
        }
        let known = try await PlaylistStore.visibleTrackIDs(ids, visible: context.visible, on: context.db)
        guard ids.allSatisfy(known.contains) else { throw SubsonicError.notFound("Song") }
        return ids
    }

    static func load(_ condition: SQLQueryString, context: SubsonicContext) async throws -> [Playlist] {
        try await PlaylistStore.load(condition, on: context.db)
    }

    static func find(_ context: SubsonicContext, key: String, mustOwn: Bool) async throws -> Playlist {
        try await find(context, id: try SubsonicID.require(context.params, key, .playlist, what: "Playlist"), mustOwn: mustOwn)
    }

    /// Others' private playlists do not exist for the caller (70); others' public ones are read-only (50).
    static func find(_ context: SubsonicContext, id: Int64, mustOwn: Bool) async throws -> Playlist {
        guard let playlist = try await load("p.id = \(bind: id)", context: context).first,
            playlist.ownerID == context.user.userID || playlist.isPublic || context.user.isAdmin
        else {
            throw SubsonicError.notFound("Playlist")
        }
        if mustOwn && playlist.ownerID != context.user.userID && !context.user.isAdmin {
            throw SubsonicError.notAuthorized("Only the playlist's owner may change it.")
        }
        return playlist
    }

    static func trackIDs(_ playlistID: Int64, on db: any SQLDatabase) async throws -> [Int64] {
        try await PlaylistStore.trackIDs(playlistID, on: db)
    }

    static func insertTracks(_ playlistID: Int64, _ tracks: [Int64], from start: Int, on db: any SQLDatabase) async throws {
        try await PlaylistStore.insertTracks(playlistID, tracks, from: start, on: db)
    }

    static func replaceTracks(_ playlistID: Int64, _ tracks: [Int64], on context: SubsonicContext) async throws {
        try await PlaylistStore.replaceTracks(playlistID, tracks, on: context.req.db)
    }

    static func playlistNode(_ playlist: Playlist, context: SubsonicContext) async throws -> SubsonicNode {
        let ids = try await trackIDs(playlist.id, on: context.db)
        // Entries the caller may not see (another user's private library) are left out.
        let tracks = try await CatalogQueries.tracks(
            visible: context.visible, paging: .init(limit: 100_000, offset: 0), ids: Array(Set(ids)), on: context.db)
        let byID = Dictionary(tracks.map { (Int64($0.id) ?? 0, $0) }, uniquingKeysWith: { first, _ in first })
        let entries = ids.compactMap { byID[$0] }
        var node = playlistNode(playlist, songCount: entries.count, durationMs: entries.map(\.durationMs).reduce(0, +))
        node.add(list: "entry", try await SubsonicNodes.songs(entries, context: context, name: "entry"))
        return node
    }

    static func playlistNode(_ playlist: Playlist, songCount: Int, durationMs: Int) -> SubsonicNode {
        var node = SubsonicNode("playlist")
        node.set("id", SubsonicID.make(.playlist, playlist.id))
        node.set("name", playlist.name)
        node.set("comment", playlist.comment)
        node.set("owner", playlist.owner)
        node.set("public", playlist.isPublic)
        node.set("songCount", songCount)
        node.set("duration", SubsonicNodes.seconds(durationMs))
        node.set(date: "created", millis: playlist.createdAt)
        node.set(date: "changed", millis: playlist.updatedAt)
        node.set("coverArt", SubsonicID.make(.playlist, playlist.id))
        return node
    }
}

import CadenzaTags
import Fluent
import Foundation
import SQLKit
import Vapor

/// Playlists as both APIs see them: owned by a user, public or private, an ordered list of tracks.
enum PlaylistStore {
    struct Record: Sendable {
        var id: Int64
        var ownerID: Int64
        var owner: String
        var name: String
        var comment: String?
        var isPublic: Bool
        var createdAt: Int64
        var updatedAt: Int64
    }

    static func load(_ condition: SQLQueryString, on db: any SQLDatabase) async throws -> [Record] {
        try await db.raw(
            """
            SELECT p.*, u.username FROM playlists p JOIN users u ON u.id = p.owner_id WHERE \(condition) ORDER BY p.name, p.id
            """
        ).all().map { row in
            Record(
                id: try row.decode(column: "id", as: Int64.self), ownerID: try row.decode(column: "owner_id", as: Int64.self),
                owner: try row.decode(column: "username", as: String.self), name: try row.decode(column: "name", as: String.self),
                comment: try row.decode(column: "comment", as: String?.self), isPublic: try row.decode(column: "public", as: Bool.self),
                createdAt: try row.decode(column: "created_at", as: Int64.self), updatedAt: try row.decode(column: "updated_at", as: Int64.self))
        }
    }

    /// Playlists the viewer may see: their own, public ones, and every one for administrators.
    static func visible(to viewer: Principal, on db: any SQLDatabase) async throws -> [Record] {
        try await load(visibility(viewer), on: db)
    }

    /// Visible playlists whose name matches `text`, ranked as catalog search ranks (the viewer's
    /// own first among equals). Matched in Swift: SQLite's LOWER() folds ASCII only, and an
    /// instance has hundreds of playlists, not millions.
    static func visible(to viewer: Principal, nameMatching text: String, limit: Int, on db: any SQLDatabase) async throws -> [Record] {
        let records = try await visible(to: viewer, on: db)
        let byID = Dictionary(records.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let index = RankedIndex(records.map { .init(id: $0.id, name: $0.name, popularity: $0.ownerID == viewer.userID ? 1 : 0) })
        return index.search(text, offset: 0, limit: limit).compactMap { byID[$0] }
    }

    private static func visibility(_ viewer: Principal) -> SQLQueryString {
        viewer.isAdmin ? "1 = 1" : "(p.owner_id = \(bind: viewer.userID) OR p.public = \(bind: true))"
    }

    /// Track counts of many playlists in one statement.
    static func trackCounts(_ ids: [Int64], on db: any SQLDatabase) async throws -> [Int64: Int] {
        guard !ids.isEmpty else { return [:] }
        let list = SQLList(integers: ids)
        var counts: [Int64: Int] = [:]
        for row in try await db.raw(
            """
            SELECT playlist_id, COUNT(*) AS n FROM playlist_tracks WHERE playlist_id IN (\(list)) GROUP BY playlist_id
            """
        ).all() {
            counts[try row.decode(column: "playlist_id", as: Int64.self)] = try row.decode(column: "n", as: Int.self)
        }
        return counts
    }

    /// How many tracks of each playlist lie in the `visible` libraries, and their total duration: one statement.
    static func visibleSummaries(_ ids: [Int64], visible: [Int64], on db: any SQLDatabase) async throws -> [Int64: (count: Int, durationMs: Int)] {
        guard !ids.isEmpty, !visible.isEmpty else { return [:] }
        let list = SQLList(integers: ids)
        let libraries = SQLList(integers: visible)
        var summaries: [Int64: (count: Int, durationMs: Int)] = [:]
        for row in try await db.raw(
            """
            SELECT pt.playlist_id, COUNT(*) AS n, CAST(COALESCE(SUM(t.duration_ms), 0) AS BIGINT) AS ms
            FROM playlist_tracks pt JOIN tracks t ON t.id = pt.track_id
            WHERE pt.playlist_id IN (\(list)) AND t.library_id IN (\(libraries)) GROUP BY pt.playlist_id
            """
        ).all() {
            summaries[try row.decode(column: "playlist_id", as: Int64.self)] =
                (try row.decode(column: "n", as: Int.self), try row.decode(column: "ms", as: Int.self))
        }
        return summaries
    }

    /// Which of `ids` name tracks in the `visible` libraries: one statement.
    static func visibleTrackIDs(_ ids: [Int64], visible: [Int64], on db: any SQLDatabase) async throws -> Set<Int64> {
        guard !ids.isEmpty, !visible.isEmpty else { return [] }
        let list = SQLList(integers: Set(ids))
        let libraries = SQLList(integers: visible)
        return Set(
            try await db.raw("SELECT id FROM tracks WHERE id IN (\(list)) AND library_id IN (\(libraries))").all()
                .map { try $0.decode(column: "id", as: Int64.self) })
    }

    static func trackIDs(_ playlistID: Int64, on db: any SQLDatabase) async throws -> [Int64] {
        try await db.raw("SELECT track_id FROM playlist_tracks WHERE playlist_id = \(bind: playlistID) ORDER BY position").all()
            .map { try $0.decode(column: "track_id", as: Int64.self) }
    }

    /// The most tracks one playlist holds: every add checks the whole, not just the request.
    static let maxTracks = 10_000

    static func insertTracks(_ playlistID: Int64, _ tracks: [Int64], from start: Int, on db: any SQLDatabase) async throws {
        guard start >= 0, start <= maxTracks, tracks.count <= maxTracks - start else {
            throw APIError.unprocessable("A playlist holds at most \(maxTracks) tracks.", code: "playlist_too_long")
        }
        let rows = tracks.enumerated().map { [SQLBind(playlistID), SQLBind(start + $0), SQLBind($1)] as [any SQLExpression] }
        try await db.insertRows(into: "playlist_tracks (playlist_id, position, track_id)", rows: rows, maxBinds: 900)
    }

    /// A new playlist with its tracks (the caller checked they may be seen); its id.
    static func create(
        ownerID: Int64, name: String, comment: String?, isPublic: Bool, tracks: [Int64], on db: any SQLDatabase
    ) async throws -> Int64 {
        let now = Clock.nowMillis()
        guard
            let id = try await db.raw(
                """
                INSERT INTO playlists (owner_id, name, comment, public, created_at, updated_at)
                VALUES (\(bind: ownerID), \(bind: name), \(bind: comment), \(bind: isPublic), \(bind: now), \(bind: now)) RETURNING id
                """
            ).first()?.decode(column: "id", as: Int64.self)
        else { throw Abort(.internalServerError, reason: "The playlist was not created.") }
        try await insertTracks(id, tracks, from: 0, on: db)
        return id
    }

    /// Whether the playlist still exists and belongs to `ownerID`.
    static func exists(_ playlistID: Int64, ownerID: Int64, on db: any SQLDatabase) async throws -> Bool {
        try await db.raw("SELECT id FROM playlists WHERE id = \(bind: playlistID) AND owner_id = \(bind: ownerID)").first() != nil
    }

    /// Replaces the track list and comment of a playlist made by the server (inside the caller's transaction).
    static func refill(_ playlistID: Int64, comment: String?, tracks: [Int64], on db: any SQLDatabase) async throws {
        try await db.raw("DELETE FROM playlist_tracks WHERE playlist_id = \(bind: playlistID)").run()
        try await insertTracks(playlistID, tracks, from: 0, on: db)
        try await db.raw(
            "UPDATE playlists SET comment = \(bind: comment), updated_at = \(bind: Clock.nowMillis()) WHERE id = \(bind: playlistID)"
        ).run()
    }

    static func delete(_ playlistID: Int64, on db: any SQLDatabase) async throws {
        try await db.raw("DELETE FROM playlists WHERE id = \(bind: playlistID)").run()
    }

    /// Replaces the whole track list (reorders and removals are a new list).
    static func replaceTracks(_ playlistID: Int64, _ tracks: [Int64], on db: any Database) async throws {
        try await db.writeTransaction { tx in
            try await tx.sql.raw("DELETE FROM playlist_tracks WHERE playlist_id = \(bind: playlistID)").run()
            try await insertTracks(playlistID, tracks, from: 0, on: tx.sql)
            try await tx.sql.raw("UPDATE playlists SET updated_at = \(bind: Clock.nowMillis()) WHERE id = \(bind: playlistID)").run()
        }
    }
}

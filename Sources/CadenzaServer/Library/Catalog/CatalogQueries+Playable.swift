import SQLKit

extension CatalogQueries {
    /// What other features need to know of a track to describe a play of it (a listen, a
    /// playing-now, a scrobble decision), without reading the catalog's tables themselves.
    struct PlayableTrack: Sendable {
        var id: Int64
        var title: String
        var artist: String
        var album: String?
        var durationMs: Int64
        var mbid: String?
        var trackNumber: Int?
    }

    static func playable(trackID: Int64, on db: any SQLDatabase) async throws -> PlayableTrack? {
        guard
            let row = try await db.raw(
                """
                SELECT t.title, t.artist_display, t.duration_ms, t.mbid, t.track_number, al.title AS album FROM tracks t
                JOIN albums al ON al.id = t.album_id WHERE t.id = \(bind: trackID)
                """
            ).first()
        else { return nil }
        return PlayableTrack(
            id: trackID, title: try row.decode(column: "title", as: String.self),
            artist: try row.decode(column: "artist_display", as: String.self),
            album: try row.decode(column: "album", as: String?.self),
            durationMs: try row.decode(column: "duration_ms", as: Int64.self),
            mbid: try row.decode(column: "mbid", as: String?.self),
            trackNumber: try row.decode(column: "track_number", as: Int?.self))
    }

    /// A track's duration in milliseconds (0 when unknown or no such track).
    static func durationMs(trackID: Int64, on db: any SQLDatabase) async throws -> Int64 {
        try await db.raw("SELECT duration_ms FROM tracks WHERE id = \(bind: trackID)").first()?
            .decode(column: "duration_ms", as: Int64.self) ?? 0
    }
}

extension CatalogQueries {
    /// A track with the file to play it from, for features that play audio themselves (radio).
    struct AirableTrack: Sendable {
        var id: Int64
        var title: String
        var artist: String
        var durationMs: Int
        var absolutePath: String
    }

    /// One track of the `libraries` with a file to play it from (a station resuming what it aired).
    static func airableTrack(id: Int64, libraries: [Int64], on db: any SQLDatabase) async throws -> AirableTrack? {
        guard !libraries.isEmpty else { return nil }
        let row = try await db.raw(
            """
            SELECT t.id, t.title, t.artist_display, t.duration_ms, f.path, lf.path AS root
            FROM tracks t JOIN files f ON f.track_id = t.id AND f.status = 'imported'
            JOIN library_folders lf ON lf.id = f.folder_id
            WHERE t.id = \(bind: id) AND t.library_id IN (\(SQLList(libraries.map { SQLBind($0) }))) ORDER BY f.id LIMIT 1
            """
        ).first()
        guard let row else { return nil }
        return try airable(row)
    }

    /// The tracks among `ids` of the `libraries` that have a file to play (a station's playlists
    /// and schedule), by id; those it may not air are left out.
    static func airableTracks(ids: [Int64], libraries: [Int64], on db: any SQLDatabase) async throws -> [Int64: AirableTrack] {
        guard !libraries.isEmpty, !ids.isEmpty else { return [:] }
        var tracks: [Int64: AirableTrack] = [:]
        // In batches: SQLite binds at most 32766 values per statement.
        for batch in stride(from: 0, to: ids.count, by: 500).map({ Array(ids[$0..<min($0 + 500, ids.count)]) }) {
            let rows = try await db.raw(
                """
                SELECT t.id, t.title, t.artist_display, t.duration_ms, f.path, lf.path AS root
                FROM tracks t JOIN files f ON f.track_id = t.id AND f.status = 'imported'
                JOIN library_folders lf ON lf.id = f.folder_id
                WHERE t.id IN (\(SQLList(batch.map { SQLBind($0) }))) AND t.library_id IN (\(SQLList(libraries.map { SQLBind($0) })))
                ORDER BY f.id
                """
            ).all()
            for row in rows {
                let id = try row.decode(column: "id", as: Int64.self)
                if tracks[id] == nil, let track = try airable(row) { tracks[id] = track }
            }
        }
        return tracks
    }

    static func airable(_ row: any SQLRow) throws -> AirableTrack? {
        guard
            let path = SafePath.join(root: try row.decode(column: "root", as: String.self), relative: try row.decode(column: "path", as: String.self))
        else { return nil }
        return AirableTrack(
            id: try row.decode(column: "id", as: Int64.self), title: try row.decode(column: "title", as: String.self),
            artist: try row.decode(column: "artist_display", as: String.self), durationMs: try row.decode(column: "duration_ms", as: Int.self),
            absolutePath: path)
    }

    /// Up to `limit` random tracks of the `libraries` that have an imported file, one file each.
    static func randomAirableTracks(libraries: [Int64], limit: Int, on db: any SQLDatabase) async throws -> [AirableTrack] {
        guard !libraries.isEmpty, limit > 0 else { return [] }
        let rows = try await db.raw(
            """
            SELECT t.id, t.title, t.artist_display, t.duration_ms, f.path, lf.path AS root
            FROM tracks t JOIN files f ON f.track_id = t.id AND f.status = 'imported'
            JOIN library_folders lf ON lf.id = f.folder_id
            WHERE t.library_id IN (\(SQLList(libraries.map { SQLBind($0) }))) AND t.duration_ms > 0
            ORDER BY RANDOM() LIMIT \(bind: limit)
            """
        ).all()
        var seen: Set<Int64> = []
        var tracks: [AirableTrack] = []
        for row in rows where seen.insert(try row.decode(column: "id", as: Int64.self)).inserted {
            if let track = try airable(row) { tracks.append(track) }
        }
        return tracks
    }
}

extension CatalogQueries {
    /// A track's file as it is on disk now, for features that analyse audio (radio loudness).
    struct AirableFile: Sendable {
        var trackID: Int64
        var absolutePath: String
        var size: Int64
        var mtime: Int64
        var durationMs: Int
    }

    /// The tracks of the `libraries` after `afterTrackID` in id order, one imported file each
    /// (its first), up to `limit` tracks (a feature pages through a library with it): the files,
    /// and the last track id the page reached (nil at the end), whether or not its file was usable.
    static func airableFiles(
        libraries: [Int64], afterTrackID: Int64, limit: Int, on db: any SQLDatabase
    ) async throws -> (files: [AirableFile], reached: Int64?) {
        guard !libraries.isEmpty, limit > 0 else { return ([], nil) }
        let rows = try await db.raw(
            """
            SELECT t.id, t.duration_ms, f.path, f.size, f.mtime, lf.path AS root
            FROM tracks t JOIN files f ON f.id = (SELECT MIN(f2.id) FROM files f2 WHERE f2.track_id = t.id AND f2.status = 'imported')
            JOIN library_folders lf ON lf.id = f.folder_id
            WHERE t.library_id IN (\(SQLList(libraries.map { SQLBind($0) }))) AND t.id > \(bind: afterTrackID)
            ORDER BY t.id LIMIT \(bind: limit)
            """
        ).all()
        var files: [AirableFile] = []
        for row in rows {
            let id = try row.decode(column: "id", as: Int64.self)
            guard
                let path = SafePath.join(
                    root: try row.decode(column: "root", as: String.self), relative: try row.decode(column: "path", as: String.self))
            else { continue }
            files.append(
                AirableFile(
                    trackID: id, absolutePath: path, size: try row.decode(column: "size", as: Int64.self),
                    mtime: try row.decode(column: "mtime", as: Int64.self), durationMs: try row.decode(column: "duration_ms", as: Int.self)))
        }
        return (files, rows.count < limit ? nil : try rows.last?.decode(column: "id", as: Int64.self))
    }
}

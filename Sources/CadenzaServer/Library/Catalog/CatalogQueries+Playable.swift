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

import SQLKit

extension CatalogQueries {
    /// What a list of songs shows (title, artist, album, length, cover) without the credits,
    /// genres and files a full `TrackDTO` carries: one statement, for lists read many times a
    /// second (a party room's queue).
    struct TrackSummary: Sendable {
        var id: Int64
        var title: String
        var artist: String
        var album: String
        var durationMs: Int
        var artworkID: Int64?
    }

    /// The tracks among `ids` in the `visible` libraries, by id.
    static func trackSummaries(ids: [Int64], visible: [Int64], on db: any SQLDatabase) async throws -> [Int64: TrackSummary] {
        guard !ids.isEmpty, let libs = libraries(visible, .init()) else { return [:] }
        var found: [Int64: TrackSummary] = [:]
        // Ids as literals: no limit on how many binds a statement may carry.
        for row in try await db.raw(
            """
            SELECT t.id, t.title, t.artist_display, t.duration_ms, a.title AS album_title, a.artwork_id
            FROM tracks t JOIN albums a ON a.id = t.album_id
            WHERE t.library_id IN (\(libs)) AND t.id IN (\(SQLList(integers: ids)))
            """
        ).all() {
            let id = try row.decode(column: "id", as: Int64.self)
            found[id] = TrackSummary(
                id: id, title: try row.decode(column: "title", as: String.self), artist: try row.decode(column: "artist_display", as: String.self),
                album: try row.decode(column: "album_title", as: String.self), durationMs: try row.decode(column: "duration_ms", as: Int.self),
                artworkID: try row.decode(column: "artwork_id", as: Int64?.self))
        }
        return found
    }

    /// A track's title, artist and album (for rules on words, such as a party room's forbidden
    /// words); nil when there is no such track.
    static func trackNames(id: Int64, on db: any SQLDatabase) async throws -> [String]? {
        guard
            let row = try await db.raw(
                "SELECT t.title, t.artist_display, a.title AS album_title FROM tracks t JOIN albums a ON a.id = t.album_id WHERE t.id = \(bind: id)"
            ).first()
        else { return nil }
        return [
            try row.decode(column: "title", as: String.self), try row.decode(column: "artist_display", as: String.self),
            try row.decode(column: "album_title", as: String.self),
        ]
    }
}

import SQLKit

/// What discovery reads of the catalog: who is credited on each track, and facts about
/// candidate tracks, always limited to the libraries a viewer may see.
extension CatalogQueries {
    /// Every (track, artist) credit, handed to `row` as they stream in.
    static func trackArtistCredits(on db: any SQLDatabase, row: @escaping @Sendable (Int64, Int64) -> Void) async throws {
        try await db.raw("SELECT track_id, artist_id FROM track_artists").run { result in
            guard let track = try? result.decode(column: "track_id", as: Int64.self),
                let artist = try? result.decode(column: "artist_id", as: Int64.self)
            else { return }
            row(track, artist)
        }
    }

    struct TrackFacts: Sendable {
        var albumID: Int64
        var artistID: Int64?
        /// The track's year, else its album's (original release first).
        var year: Int?
        /// The MusicBrainz recording: one song on several albums (an album and a compilation).
        var recording: String?
    }

    /// Album and first credited artist (position 0, not a featured guest) of each of `ids` the
    /// viewer may see (the others are left out).
    static func trackFacts(_ ids: [Int64], visible: [Int64], on db: any SQLDatabase) async throws -> [Int64: TrackFacts] {
        guard let libs = libraries(visible, .init()), !ids.isEmpty else { return [:] }
        var facts: [Int64: TrackFacts] = [:]
        for chunk in ids.chunked(2000) {
            for row in try await db.raw(
                """
                SELECT t.id, t.album_id, ta.artist_id, COALESCE(t.year, al.original_year, al.year) AS year, t.mbid FROM tracks t
                JOIN albums al ON al.id = t.album_id
                LEFT JOIN track_artists ta ON ta.track_id = t.id AND ta.position = 0
                WHERE t.id IN (\(SQLList(integers: chunk))) AND t.library_id IN (\(libs))
                """
            ).all() {
                facts[try row.decode(column: "id", as: Int64.self)] = TrackFacts(
                    albumID: try row.decode(column: "album_id", as: Int64.self), artistID: try row.decode(column: "artist_id", as: Int64?.self),
                    year: try row.decode(column: "year", as: Int?.self), recording: try row.decode(column: "mbid", as: String?.self))
            }
        }
        return facts
    }

    /// The MusicBrainz recordings of `ids` (those tagged with one), whatever library they are in.
    static func recordingIDs(of ids: [Int64], on db: any SQLDatabase) async throws -> Set<String> {
        var found = Set<String>()
        for chunk in ids.chunked(2000) {
            for row in try await db.raw("SELECT DISTINCT mbid FROM tracks WHERE id IN (\(SQLList(integers: chunk))) AND mbid IS NOT NULL").all() {
                found.insert(try row.decode(column: "mbid", as: String.self))
            }
        }
        return found
    }

    /// An album's visible tracks, in disc and track order.
    static func albumTrackIDs(_ albumID: Int64, visible: [Int64], on db: any SQLDatabase) async throws -> [Int64] {
        guard let libs = libraries(visible, .init()) else { return [] }
        return try await db.raw(
            """
            SELECT t.id FROM tracks t WHERE t.album_id = \(bind: albumID) AND t.library_id IN (\(libs))
            ORDER BY COALESCE(t.disc_number, 1), COALESCE(t.track_number, 0), t.id
            """
        ).all().map { try $0.decode(column: "id", as: Int64.self) }
    }

    /// Which of `ids` are credited on a track the viewer may see.
    static func visibleArtistIDs(_ ids: [Int64], visible: [Int64], on db: any SQLDatabase) async throws -> Set<Int64> {
        guard let libs = libraries(visible, .init()), !ids.isEmpty else { return [] }
        return Set(
            try await db.raw(
                """
                SELECT DISTINCT ta.artist_id FROM track_artists ta JOIN tracks t ON t.id = ta.track_id
                WHERE ta.artist_id IN (\(SQLList(integers: ids))) AND t.library_id IN (\(libs))
                """
            ).all().map { try $0.decode(column: "artist_id", as: Int64.self) })
    }
}

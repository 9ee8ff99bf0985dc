import CadenzaTags
import SQLKit

extension CatalogQueries {
    /// Plays per track of the people who let their listens be used for others (not private, not
    /// opted out): what "most played" and "popular" rank by, so a private listener's plays never
    /// shape what others are shown.
    static let sharingUsers: SQLQueryString = "SELECT id FROM users WHERE listens_visibility <> 'private' AND listens_for_discovery = \(bind: true)"

    /// `sharedPlays` for the whole catalog at once (the search index's popularity).
    static let sharedPlays: SQLQueryString = """
        SELECT track_id, CAST(SUM(play_count) AS BIGINT) AS plays FROM play_stats WHERE user_id IN (\(sharingUsers)) GROUP BY track_id
        """

    /// An artist's tracks in the `visible` libraries, most played (by those who share) first; the
    /// artist is named (Subsonic's getTopSongs, matching every artist of that name) or an id.
    static func topTrackIDs(artistName: String, visible: [Int64], limit: Int, on db: any SQLDatabase) async throws -> [Int64] {
        try await topTrackIDs(
            where: "ta.artist_id IN (SELECT id FROM artists WHERE name_key = \(bind: NameKey.make(artistName)))", visible: visible, limit: limit,
            on: db)
    }

    static func topTrackIDs(artistID: Int64, visible: [Int64], limit: Int, on db: any SQLDatabase) async throws -> [Int64] {
        try await topTrackIDs(where: "ta.artist_id = \(bind: artistID)", visible: visible, limit: limit, on: db)
    }

    /// From the artist's credits. The `+`s steer SQLite: find the credits first (not a walk of a
    /// whole library's tracks), then each track's few plays (not a probe per sharing user: with
    /// 300 listeners that was 5x slower).
    private static func topTrackIDs(where artist: SQLQueryString, visible: [Int64], limit: Int, on db: any SQLDatabase) async throws -> [Int64] {
        guard let libs = libraries(visible, .init()), limit > 0 else { return [] }
        return try await db.raw(
            """
            SELECT t.id FROM track_artists ta JOIN tracks t ON t.id = ta.track_id
            LEFT JOIN play_stats p ON p.track_id = t.id AND +p.user_id IN (\(sharingUsers))
            WHERE \(artist) AND +t.library_id IN (\(libs))
            GROUP BY t.id, t.sort_title ORDER BY COALESCE(SUM(p.play_count), 0) DESC, t.sort_title LIMIT \(bind: limit)
            """
        ).all().map { try $0.decode(column: "id", as: Int64.self) }
    }

    /// The visible tracks credited to each of `artistIDs` (any position), by artist: at most
    /// `perArtist` of each (by id), so "Various Artists" does not bring its thousands.
    static func trackIDs(artistIDs: [Int64], visible: [Int64], perArtist: Int = 300, on db: any SQLDatabase) async throws -> [Int64: [Int64]] {
        guard let libs = libraries(visible, .init()), !artistIDs.isEmpty else { return [:] }
        var tracks: [Int64: [Int64]] = [:]
        for chunk in artistIDs.chunked(500) {
            for row in try await db.raw(
                """
                SELECT artist_id, id FROM (
                  SELECT ta.artist_id, t.id, ROW_NUMBER() OVER (PARTITION BY ta.artist_id ORDER BY t.id) AS position
                  FROM track_artists ta JOIN tracks t ON t.id = ta.track_id
                  WHERE ta.artist_id IN (\(SQLList(integers: chunk))) AND +t.library_id IN (\(libs))
                ) credited WHERE position <= \(bind: perArtist) ORDER BY artist_id, id
                """
            ).all() {
                tracks[try row.decode(column: "artist_id", as: Int64.self), default: []].append(try row.decode(column: "id", as: Int64.self))
            }
        }
        return tracks
    }

    /// Artists sharing the most genres with `artistID` in the `visible` libraries.
    static func similarArtistIDs(to artistID: Int64, visible: [Int64], limit: Int, on db: any SQLDatabase) async throws -> [Int64] {
        guard let libs = libraries(visible, .init()), limit > 0 else { return [] }
        return try await db.raw(
            """
            SELECT ta2.artist_id AS id, COUNT(DISTINCT tg2.genre_id) AS shared FROM track_artists ta
            JOIN tracks t ON t.id = ta.track_id AND t.library_id IN (\(libs))
            JOIN track_genres tg ON tg.track_id = t.id
            JOIN track_genres tg2 ON tg2.genre_id = tg.genre_id
            JOIN tracks t2 ON t2.id = tg2.track_id AND t2.library_id IN (\(libs))
            JOIN track_artists ta2 ON ta2.track_id = t2.id
            WHERE ta.artist_id = \(bind: artistID) AND ta2.artist_id <> \(bind: artistID)
            GROUP BY ta2.artist_id ORDER BY shared DESC, ta2.artist_id LIMIT \(bind: limit)
            """
        ).all().map { try $0.decode(column: "id", as: Int64.self) }
    }

    /// What similar songs are sought for.
    enum SimilarSeed: Sendable {
        case artist(Int64), album(Int64), track(Int64)
    }

    /// Visible tracks sharing a genre with the seed's tracks (not the seed's own), in random order.
    static func similarTrackIDs(to seed: SimilarSeed, visible: [Int64], limit: Int, on db: any SQLDatabase) async throws -> [Int64] {
        guard let libs = libraries(visible, .init()), limit > 0 else { return [] }
        let seedTracks: SQLQueryString
        switch seed {
        case .artist(let id): seedTracks = "SELECT track_id FROM track_artists WHERE artist_id = \(bind: id)"
        case .album(let id): seedTracks = "SELECT id FROM tracks WHERE album_id = \(bind: id)"
        case .track(let id): seedTracks = "SELECT \(bind: id)"
        }
        return try await db.raw(
            """
            SELECT t.id FROM tracks t
            WHERE t.library_id IN (\(libs)) AND t.id NOT IN (\(seedTracks))
              AND EXISTS (SELECT 1 FROM track_genres tg WHERE tg.track_id = t.id
                          AND tg.genre_id IN (SELECT genre_id FROM track_genres WHERE track_id IN (\(seedTracks))))
            ORDER BY RANDOM() LIMIT \(bind: limit)
            """
        ).all().map { try $0.decode(column: "id", as: Int64.self) }
    }

    /// When any album last changed (Subsonic's `lastModified`).
    static func lastModified(on db: any SQLDatabase) async throws -> Int64 {
        try await db.raw("SELECT MAX(updated_at) AS m FROM albums").first()?.decode(column: "m", as: Int64?.self) ?? 0
    }
}

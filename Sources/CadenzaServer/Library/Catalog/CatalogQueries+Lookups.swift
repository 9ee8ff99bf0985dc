import CadenzaTags
import SQLKit

extension CatalogQueries {
    /// What an artwork is looked up by.
    enum ArtworkSubject: Sendable {
        case album(Int64), track(Int64), artist(Int64), playlist(Int64)
    }

    /// The artwork shown for an album, a track (its album's), an artist (one of their albums') or
    /// a playlist (its first track's that has one).
    static func artworkID(of subject: ArtworkSubject, on db: any SQLDatabase) async throws -> Int64? {
        let sql: SQLQueryString
        switch subject {
        case .album(let id): sql = "SELECT artwork_id AS a FROM albums WHERE id = \(bind: id)"
        case .track(let id): sql = "SELECT al.artwork_id AS a FROM tracks t JOIN albums al ON al.id = t.album_id WHERE t.id = \(bind: id)"
        case .artist(let id): sql = "SELECT MAX(al.artwork_id) AS a FROM albums al WHERE al.album_artist_id = \(bind: id)"
        case .playlist(let id):
            sql = """
                SELECT al.artwork_id AS a FROM playlist_tracks pt JOIN tracks t ON t.id = pt.track_id JOIN albums al ON al.id = t.album_id
                WHERE pt.playlist_id = \(bind: id) AND al.artwork_id IS NOT NULL ORDER BY pt.position LIMIT 1
                """
        }
        return try await db.raw(sql).first()?.decode(column: "a", as: Int64?.self)
    }

    /// The lyrics embedded in a track's tags, if any.
    static func embeddedLyrics(trackID: Int64, on db: any SQLDatabase) async throws -> String? {
        try await db.raw("SELECT lyrics FROM tracks WHERE id = \(bind: trackID)").first()?.decode(column: "lyrics", as: String?.self)
    }

    /// Visible tracks with this title (by sort key), optionally by an artist (by name key), oldest first.
    static func trackIDs(title: String, artist: String?, visible: [Int64], limit: Int, on db: any SQLDatabase) async throws -> [Int64] {
        guard let libs = libraries(visible, .init()) else { return [] }
        var conditions: SQLQueryString = "t.sort_title = \(bind: NameKey.sort(title))"
        if let artist, !artist.isEmpty {
            conditions =
                conditions
                + " AND EXISTS (SELECT 1 FROM track_artists ta JOIN artists ar ON ar.id = ta.artist_id WHERE ta.track_id = t.id AND ar.name_key = \(bind: NameKey.make(artist)))"
        }
        return try await db.raw("SELECT t.id FROM tracks t WHERE t.library_id IN (\(libs)) AND \(conditions) ORDER BY t.id LIMIT \(literal: limit)")
            .all().map { try $0.decode(column: "id", as: Int64.self) }
    }
}

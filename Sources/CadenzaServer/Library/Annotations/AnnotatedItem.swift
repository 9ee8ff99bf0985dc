import SQLKit
import Vapor

/// The thing a star or a rating is about, checked against what the caller may see: an item in a
/// library they cannot read answers 404, exactly like one that does not exist.
struct AnnotatedItem {
    enum Kind: String, CaseIterable {
        case track, album, artist
    }

    var kind: Kind
    var id: Int64

    static func fromPath(_ req: Request) throws -> AnnotatedItem {
        guard let kind = Kind(rawValue: req.parameters.get("type") ?? "") else { throw APIError.notFound("Item type") }
        return AnnotatedItem(kind: kind, id: try req.int64Parameter("id", what: "Item"))
    }

    func requireVisible(to viewer: Principal, on db: any SQLDatabase) async throws {
        let visible = try await Libraries.visibleIDs(for: viewer, on: db)
        guard let libs = CatalogQueries.libraries(visible, .init()) else { throw APIError.notFound("Item") }
        let sql: SQLQueryString
        switch kind {
        case .track: sql = "SELECT 1 AS x FROM tracks t WHERE t.id = \(bind: id) AND t.library_id IN (\(libs))"
        case .album: sql = "SELECT 1 AS x FROM tracks t WHERE t.album_id = \(bind: id) AND t.library_id IN (\(libs)) LIMIT 1"
        case .artist:
            sql = "SELECT 1 AS x FROM track_artists ta JOIN tracks t ON t.id = ta.track_id WHERE ta.artist_id = \(bind: id) AND t.library_id IN (\(libs)) LIMIT 1"
        }
        guard try await db.raw(sql).first() != nil else { throw APIError.notFound("Item") }
    }
}

extension AnnotatedItem {
    /// One user's rating of one item, 1 to 5; 0 removes it. Shared by Subsonic `setRating` and the REST API.
    static func setRating(_ rating: Int, userID: Int64, type: String, id: Int64, on db: any SQLDatabase) async throws {
        if rating == 0 {
            try await db.raw("""
                DELETE FROM ratings WHERE user_id = \(bind: userID) AND item_type = \(bind: type) AND item_id = \(bind: id)
                """).run()
        } else {
            try await db.raw("""
                INSERT INTO ratings (user_id, item_type, item_id, rating) VALUES (\(bind: userID), \(bind: type), \(bind: id), \(bind: rating))
                ON CONFLICT (user_id, item_type, item_id) DO UPDATE SET rating = excluded.rating
                """).run()
        }
    }
}

import Fluent
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
        guard try await Self.isVisible(type: kind.rawValue, id: id, visible: visible, on: db) else { throw APIError.notFound("Item") }
    }

    /// Whether a track, album or artist has a track in the visible libraries (an album artist
    /// counts through their albums: a "Various Artists" entry has no track credits of its own).
    static func isVisible(type: String, id: Int64, visible: [Int64], on db: any SQLDatabase) async throws -> Bool {
        guard let libs = CatalogQueries.libraries(visible, .init()) else { return false }
        let sql: SQLQueryString
        switch type {
        case "track": sql = "SELECT 1 AS x FROM tracks t WHERE t.id = \(bind: id) AND t.library_id IN (\(libs))"
        case "album": sql = "SELECT 1 AS x FROM tracks t WHERE t.album_id = \(bind: id) AND t.library_id IN (\(libs)) LIMIT 1"
        case "artist":
            sql = """
                SELECT 1 AS x FROM tracks t WHERE t.library_id IN (\(libs)) AND (
                  EXISTS (SELECT 1 FROM track_artists ta WHERE ta.track_id = t.id AND ta.artist_id = \(bind: id))
                  OR EXISTS (SELECT 1 FROM albums a WHERE a.id = t.album_id AND a.album_artist_id = \(bind: id))) LIMIT 1
                """
        default: return false
        }
        return try await db.raw(sql).first() != nil
    }
}

extension AnnotatedItem {
    /// One user's rating of one item, 1 to 5; 0 removes it. Shared by Subsonic `setRating` and the REST API.
    static func setRating(_ rating: Int, userID: Int64, type: String, id: Int64, on db: any Database) async throws {
        try await db.writeTransaction { tx in
            if rating == 0 {
                try await tx.sql.raw(
                    """
                    DELETE FROM ratings WHERE user_id = \(bind: userID) AND item_type = \(bind: type) AND item_id = \(bind: id)
                    """
                ).run()
            } else {
                try await tx.sql.raw(
                    """
                    INSERT INTO ratings (user_id, item_type, item_id, rating) VALUES (\(bind: userID), \(bind: type), \(bind: id), \(bind: rating))
                    ON CONFLICT (user_id, item_type, item_id) DO UPDATE SET rating = excluded.rating
                    """
                ).run()
            }
            try await Annotations.touch(userID: userID, on: tx.sql)
        }
    }

    /// Stars or unstars items for one user, all in one transaction. Shared by Subsonic `star`/`unstar` and the REST API.
    static func setStarred(_ starred: Bool, userID: Int64, items: [(type: String, id: Int64)], on db: any Database) async throws {
        let now = Clock.nowMillis()
        try await db.writeTransaction { tx in
            for (type, id) in items {
                if starred {
                    try await tx.sql.raw(
                        """
                        INSERT INTO stars (user_id, item_type, item_id, created_at) VALUES (\(bind: userID), \(bind: type), \(bind: id), \(bind: now))
                        ON CONFLICT (user_id, item_type, item_id) DO NOTHING
                        """
                    ).run()
                } else {
                    try await tx.sql.raw(
                        """
                        DELETE FROM stars WHERE user_id = \(bind: userID) AND item_type = \(bind: type) AND item_id = \(bind: id)
                        """
                    ).run()
                }
            }
            try await Annotations.touch(userID: userID, on: tx.sql)
        }
    }
}

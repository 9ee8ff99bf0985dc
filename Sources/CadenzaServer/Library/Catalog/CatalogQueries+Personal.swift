import SQLKit

extension CatalogQueries {
    /// Album orders that depend on one user's annotations and plays (Subsonic's album lists).
    enum PersonalAlbumOrder: Sendable {
        /// Rated highest first.
        case highestRated
        /// Most played first.
        case mostPlayed
        /// Played most recently first.
        case recentlyPlayed
        /// Starred most recently first.
        case starred
    }

    /// Album ids in `order` for `userID`, a page at a time (the caller filters by visibility).
    static func albumIDs(_ order: PersonalAlbumOrder, userID: Int64, paging: Paging, on db: any SQLDatabase) async throws -> [Int64] {
        let sql: SQLQueryString
        switch order {
        case .highestRated:
            sql = """
                SELECT item_id AS id FROM ratings WHERE user_id = \(bind: userID) AND item_type = 'album'
                ORDER BY rating DESC, item_id LIMIT \(bind: paging.limit) OFFSET \(bind: paging.offset)
                """
        case .mostPlayed:
            sql = """
                SELECT t.album_id AS id FROM play_stats p JOIN tracks t ON t.id = p.track_id WHERE p.user_id = \(bind: userID)
                GROUP BY t.album_id ORDER BY SUM(p.play_count) DESC, t.album_id LIMIT \(bind: paging.limit) OFFSET \(bind: paging.offset)
                """
        case .recentlyPlayed:
            sql = """
                SELECT t.album_id AS id FROM play_stats p JOIN tracks t ON t.id = p.track_id WHERE p.user_id = \(bind: userID)
                GROUP BY t.album_id ORDER BY MAX(p.last_played_at) DESC, t.album_id LIMIT \(bind: paging.limit) OFFSET \(bind: paging.offset)
                """
        case .starred:
            sql = """
                SELECT item_id AS id FROM stars WHERE user_id = \(bind: userID) AND item_type = 'album'
                ORDER BY created_at DESC, item_id LIMIT \(bind: paging.limit) OFFSET \(bind: paging.offset)
                """
        }
        return try await db.raw(sql).all().map { try $0.decode(column: "id", as: Int64.self) }
    }

    /// The artists a user starred (notifications' "new albums by artists I starred").
    static func starredArtistIDs(userID: Int64, on db: any SQLDatabase) async throws -> [Int64] {
        try await db.raw("SELECT item_id FROM stars WHERE user_id = \(bind: userID) AND item_type = 'artist'").all()
            .map { try $0.decode(column: "item_id", as: Int64.self) }
    }
}

import SQLKit
import Vapor

/// The user's marks on items: star time, rating, play count.
struct Annotation: Sendable {
    var starred: Int64?
    var rating: Int?
    var playCount: Int?
    var lastPlayed: Int64?
}

/// Stars, ratings and play counts, read in one statement whatever the mix of kinds. Every write
/// to them calls `touch`, which moves the user's annotations version: readers that know it
/// (Subsonic reads it with the credentials) keep the user's whole map per version instead.
enum Annotations {
    static let kinds: Set<String> = ["track", "album", "artist"]

    /// Call in the transaction that changes a user's stars, ratings or play counts.
    static func touch(userID: Int64, on db: any SQLDatabase) async throws {
        try await db.raw("UPDATE users SET annotations_version = annotations_version + 1 WHERE id = \(bind: userID)").run()
    }

    static func load(userID: Int64, type: String, ids: [Int64], on db: any SQLDatabase) async throws -> [Int64: Annotation] {
        try await load(userID: userID, [(type, ids)], on: db)[type] ?? [:]
    }

    /// The annotations of the given items, by kind then id.
    static func load(userID: Int64, _ items: [(type: String, ids: [Int64])], on db: any SQLDatabase) async throws -> [String: [Int64: Annotation]] {
        try await query(userID: userID, items.filter { !$0.ids.isEmpty }.map { ($0.type, Optional($0.ids)) }, on: db)
    }

    /// Every annotation of the user for one kind of item.
    static func all(userID: Int64, type: String, on db: any SQLDatabase) async throws -> [Int64: Annotation] {
        try await query(userID: userID, [(type, nil)], on: db)[type] ?? [:]
    }

    /// `ids: nil` reads every item of that kind.
    private static func query(
        userID: Int64, _ items: [(type: String, ids: [Int64]?)], on db: any SQLDatabase
    ) async throws -> [String: [Int64: Annotation]] {
        var parts: [SQLQueryString] = []
        for (type, ids) in items where kinds.contains(type) {
            let kind = SQLLiteral.string(type)  // a literal: a parameter in a UNION's select list has no type on PostgreSQL
            func among(_ column: String) -> SQLQueryString {
                guard let ids else { return "" }
                return "AND \(unsafeRaw: column) IN (\(SQLList(integers: Set(ids))))"
            }
            parts.append(
                """
                SELECT \(kind) AS item_kind, 's' AS k, item_id, 0 AS n, created_at AS last FROM stars
                WHERE user_id = \(bind: userID) AND item_type = \(bind: type) \(among("item_id"))
                UNION ALL
                SELECT \(kind) AS item_kind, 'r' AS k, item_id, rating AS n, 0 AS last FROM ratings
                WHERE user_id = \(bind: userID) AND item_type = \(bind: type) \(among("item_id"))
                """)
            switch type {
            case "track":
                parts.append(
                    """
                    SELECT 'track' AS item_kind, 'p' AS k, track_id AS item_id, play_count AS n, last_played_at AS last FROM play_stats
                    WHERE user_id = \(bind: userID) \(among("track_id"))
                    """)
            case "album":
                parts.append(
                    """
                    SELECT 'album' AS item_kind, 'p' AS k, t.album_id AS item_id, CAST(SUM(p.play_count) AS BIGINT) AS n, MAX(p.last_played_at) AS last
                    FROM play_stats p JOIN tracks t ON t.id = p.track_id
                    WHERE p.user_id = \(bind: userID) \(among("t.album_id")) GROUP BY t.album_id
                    """)
            default: break
            }
        }
        guard let first = parts.first else { return [:] }
        var result: [String: [Int64: Annotation]] = [:]
        for (type, _) in items { result[type] = [:] }
        for row in try await db.raw(parts.dropFirst().reduce(first) { $0 + " UNION ALL " + $1 }).all() {
            let type = try row.decode(column: "item_kind", as: String.self), id = try row.decode(column: "item_id", as: Int64.self)
            var note = result[type]?[id] ?? Annotation()
            switch try row.decode(column: "k", as: String.self) {
            case "s": note.starred = try row.decode(column: "last", as: Int64.self)
            case "r": note.rating = try row.decode(column: "n", as: Int.self)
            default:
                note.playCount = try row.decode(column: "n", as: Int.self)
                note.lastPlayed = try row.decode(column: "last", as: Int64?.self)
            }
            result[type, default: [:]][id] = note
        }
        return result
    }
}

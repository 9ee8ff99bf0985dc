import Foundation
import SQLKit

/// Single accounts on other servers an administrator blocked: their signed requests are refused,
/// nothing is sent to them, and their follows end.
enum AccountBlocks {
    struct Block: Codable, Sendable, Equatable {
        var actor: String
        var note: String
        var createdAt: Int64
    }

    static func all(on db: any SQLDatabase) async throws -> [Block] {
        try await db.raw("SELECT * FROM federation_account_blocks ORDER BY actor_uri").all().map {
            Block(
                actor: try $0.decode(column: "actor_uri", as: String.self), note: try $0.decode(column: "note", as: String.self),
                createdAt: try $0.decode(column: "created_at", as: Int64.self))
        }
    }

    static func isBlocked(_ actor: String, on db: any SQLDatabase) async throws -> Bool {
        try await db.raw("SELECT id FROM federation_account_blocks WHERE actor_uri = \(bind: actor)").first() != nil
    }

    /// Blocks the account: its follows in both directions end, and what waits to be sent to its
    /// own inbox is dropped.
    static func block(_ actor: String, note: String, on db: any SQLDatabase) async throws {
        try await db.raw(
            """
            INSERT INTO federation_account_blocks (actor_uri, note, created_at) VALUES (\(bind: actor), \(bind: note), \(bind: Clock.nowMillis()))
            ON CONFLICT (actor_uri) DO UPDATE SET note = excluded.note
            """
        ).run()
        try await db.raw("DELETE FROM federation_follows WHERE remote_actor_uri = \(bind: actor) AND direction = 'in'").run()
        if let inbox = try await RemoteActors.find(uri: actor, on: db)?.inbox {
            try await db.raw(
                """
                UPDATE federation_deliveries SET status = 'dropped', updated_at = \(bind: Clock.nowMillis())
                WHERE inbox = \(bind: inbox) AND status = 'queued'
                """
            ).run()
        }
    }

    static func unblock(_ actor: String, on db: any SQLDatabase) async throws -> Bool {
        try await db.raw("DELETE FROM federation_account_blocks WHERE actor_uri = \(bind: actor) RETURNING id").all().count > 0
    }
}

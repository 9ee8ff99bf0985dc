import Fluent

/// Migration 003 - personal API tokens, stored as SHA-256 hashes and shown to the user once.
struct M003_CreateAPITokens: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("api_tokens")
            .field("id", .int64, .identifier(auto: true))
            .field("user_id", .int64, .required, .references("users", "id", onDelete: .cascade))
            .field("name", .string, .required)
            .field("token_hash", .string, .required)
            .field("prefix", .string, .required)
            .field("created_at", .int64, .required)
            .field("last_used_at", .int64)
            .field("expires_at", .int64)
            .field("revoked_at", .int64)
            .unique(on: "token_hash")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("api_tokens").delete()
    }
}

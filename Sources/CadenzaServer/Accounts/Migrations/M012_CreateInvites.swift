import Fluent

/// Migration 012 - invite links an administrator hands out: single use, expiring, stored hashed.
struct M012_CreateInvites: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("invites")
            .field("id", .int64, .identifier(auto: true))
            .field("token_hash", .string, .required)
            .field("role", .string, .required)
            .field("created_by", .int64, .required, .references("users", "id", onDelete: .cascade))
            .field("created_at", .int64, .required)
            .field("expires_at", .int64, .required)
            .field("used_at", .int64)
            .field("used_by", .int64, .references("users", "id", onDelete: .setNull))
            .unique(on: "token_hash")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("invites").delete()
    }
}

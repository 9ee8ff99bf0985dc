import Fluent

/// Migration 007 - small instance-wide values (setup token hash, periodic task schedule).
struct M007_CreateServerState: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("server_state")
            .field("key", .string, .identifier(auto: false))
            .field("value", .string, .required)
            .field("updated_at", .int64, .required)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("server_state").delete()
    }
}

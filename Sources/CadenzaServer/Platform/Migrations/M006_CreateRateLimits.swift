import Fluent

/// Migration 006 - fixed-window counters, shared by every api node through the database.
struct M006_CreateRateLimits: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("rate_limits")
            .field("bucket", .string, .required)
            .field("window_start", .int64, .required)
            .field("count", .int, .required)
            .compositeIdentifier(over: "bucket", "window_start")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("rate_limits").delete()
    }
}

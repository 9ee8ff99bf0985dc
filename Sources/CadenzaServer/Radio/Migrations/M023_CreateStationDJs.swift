import Fluent

/// Migration 023 - a station's DJs: users who may go live on it with their own credentials.
struct M023_CreateStationDJs: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("station_djs")
            .field("station_id", .int64, .required, .references("stations", "id", onDelete: .cascade))
            .field("user_id", .int64, .required, .references("users", "id", onDelete: .cascade))
            .unique(on: "station_id", "user_id")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("station_djs").delete()
    }
}

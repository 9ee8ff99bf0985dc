import Fluent

/// Migration 051 - a station's managers: users who run it as its owner does (shows, playlists,
/// settings, DJs, skip), without deleting it or naming managers.
struct M051_CreateStationManagers: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("station_managers")
            .field("station_id", .int64, .required, .references("stations", "id", onDelete: .cascade))
            .field("user_id", .int64, .required, .references("users", "id", onDelete: .cascade))
            .unique(on: "station_id", "user_id")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("station_managers").delete()
    }
}

import Fluent

/// Migration 057 - how each relay of a station is doing, as its playout last said: connected or
/// not since when, the last error, and when it was said (a playout in another process writes it).
struct M057_CreateStationRelayStatus: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("station_relay_status")
            .field("station_id", .int64, .required, .references("stations", "id", onDelete: .cascade))
            .field("relay", .string, .required)
            .field("connected", .bool, .required)
            .field("since", .int64, .required)
            .field("error", .string)
            .field("checked_at", .int64, .required)
            .unique(on: "station_id", "relay")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("station_relay_status").delete()
    }
}

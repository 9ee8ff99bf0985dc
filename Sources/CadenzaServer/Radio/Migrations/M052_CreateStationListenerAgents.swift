import Fluent

/// Migration 052 - the players a station's listeners use, sampled with the listener counts: how
/// many used each at a sample, for the seconds since the one before.
struct M052_CreateStationListenerAgents: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("station_listener_agents")
            .field("station_id", .int64, .required, .references("stations", "id", onDelete: .cascade))
            .field("sampled_at", .int64, .required)
            .field("agent", .string, .required)
            .field("seconds", .int, .required)
            .field("listeners", .int, .required)
            .unique(on: "station_id", "sampled_at", "agent")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("station_listener_agents").delete()
    }
}

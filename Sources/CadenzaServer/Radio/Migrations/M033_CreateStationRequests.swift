import Fluent
import SQLKit

/// Migration 033 - a manager's skip or "play next" for a station aired by another process: the
/// process holding the station's lease takes it off the table and applies it to its own queue.
struct M033_CreateStationRequests: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("station_requests")
            .field("id", .int64, .identifier(auto: true))
            .field("station_id", .int64, .required, .references("stations", "id", onDelete: .cascade))
            .field("kind", .string, .required)
            .field("track_id", .int64)
            .field("requested_at", .int64, .required)
            .create()
        try await database.sql.raw("CREATE INDEX station_requests_station ON station_requests (station_id)").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("station_requests").delete()
    }
}

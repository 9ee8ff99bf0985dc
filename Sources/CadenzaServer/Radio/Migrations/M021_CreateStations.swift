import Fluent
import SQLKit

/// Migration 021 - radio stations and their as-run log (what actually aired, for royalty
/// reports and the "no repeat within N minutes" rule).
struct M021_CreateStations: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("stations")
            .field("id", .int64, .identifier(auto: true))
            .field("slug", .string, .required)
            .field("name", .string, .required)
            .field("description", .string, .required)
            .field("time_zone", .string, .required)
            .field("visibility", .string, .required)
            // Null: the instance's own station, playing what every signed-in user may hear.
            .field("owner_id", .int64, .references("users", "id", onDelete: .cascade))
            .field("outputs", .string, .required)
            .field("crossfade_ms", .int, .required)
            // An external Icecast to push to as a source (its URL holds the source password: sealed).
            .field("push_url_sealed", .string)
            .field("created_at", .int64, .required)
            .field("updated_at", .int64, .required)
            .unique(on: "slug")
            .create()
        try await database.schema("station_plays")
            .field("id", .int64, .identifier(auto: true))
            .field("station_id", .int64, .required, .references("stations", "id", onDelete: .cascade))
            .field("track_id", .int64, .references("tracks", "id", onDelete: .setNull))
            .field("title", .string, .required)
            .field("artist", .string, .required)
            .field("source", .string, .required)
            .field("started_at", .int64, .required)
            .field("duration_ms", .int64)
            .create()
        try await database.schema("station_listener_samples")
            .field("station_id", .int64, .required, .references("stations", "id", onDelete: .cascade))
            .field("output", .string, .required)
            .field("sampled_at", .int64, .required)
            .field("seconds", .int, .required)
            .field("listeners", .int, .required)
            .field("peak", .int, .required)
            .unique(on: "station_id", "output", "sampled_at")
            .create()
        // Unique: an entry written again after a lost reply (the playout retries) is one entry.
        try await database.sql.raw("CREATE UNIQUE INDEX station_plays_station_time ON station_plays (station_id, started_at)").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("station_listener_samples").delete()
        try await database.schema("station_plays").delete()
        try await database.schema("stations").delete()
    }
}

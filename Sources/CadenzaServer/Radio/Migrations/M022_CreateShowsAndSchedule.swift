import Fluent
import SQLKit

/// Migration 022 - radio playlists, shows with their recurrence and single-occurrence changes,
/// the schedule materialised from them, and which scheduled item an as-run entry aired.
struct M022_CreateShowsAndSchedule: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("station_playlists")
            .field("id", .int64, .identifier(auto: true))
            .field("station_id", .int64, .required, .references("stations", "id", onDelete: .cascade))
            .field("name", .string, .required)
            .field("created_at", .int64, .required)
            .field("updated_at", .int64, .required)
            .create()
        try await database.schema("station_playlist_entries")
            .field("playlist_id", .int64, .required, .references("station_playlists", "id", onDelete: .cascade))
            .field("position", .int, .required)
            .field("track_id", .int64, .required, .references("tracks", "id", onDelete: .cascade))
            // Where the item starts and ends in its file (null: the file's own start and end).
            .field("cue_in_ms", .int)
            .field("cue_out_ms", .int)
            .unique(on: "playlist_id", "position")
            .create()
        try await database.schema("station_shows")
            .field("id", .int64, .identifier(auto: true))
            .field("station_id", .int64, .required, .references("stations", "id", onDelete: .cascade))
            .field("title", .string, .required)
            .field("hosts", .string, .required)
            .field("description", .string, .required)
            .field("playlist_id", .int64, .references("station_playlists", "id", onDelete: .setNull))
            // The recurrence, in the station's local wall time (see ShowRule).
            .field("start_day", .int64, .required)
            .field("start_second", .int, .required)
            .field("duration_minutes", .int, .required)
            .field("frequency", .string, .required)
            .field("repeat_every", .int, .required)
            .field("weekdays", .string, .required)
            .field("monthly_by", .string, .required)
            .field("until_day", .int64)
            .field("created_at", .int64, .required)
            .field("updated_at", .int64, .required)
            .create()
        // One occurrence cancelled, moved, or given other content (keyed by its local date).
        try await database.schema("station_show_exceptions")
            .field("show_id", .int64, .required, .references("station_shows", "id", onDelete: .cascade))
            .field("day", .int64, .required)
            .field("cancelled", .bool, .required)
            .field("moved_day", .int64)
            .field("moved_second", .int)
            .field("playlist_id", .int64, .references("station_playlists", "id", onDelete: .setNull))
            .unique(on: "show_id", "day")
            .create()
        // What is planned to air, generated ahead by the scheduler job: exact instants per item.
        try await database.schema("station_schedule")
            .field("station_id", .int64, .required, .references("stations", "id", onDelete: .cascade))
            .field("show_id", .int64, .required, .references("station_shows", "id", onDelete: .cascade))
            .field("occurrence_start", .int64, .required)
            .field("occurrence_end", .int64, .required)
            .field("starts_at", .int64, .required)
            .field("ends_at", .int64, .required)
            .field("track_id", .int64, .required, .references("tracks", "id", onDelete: .cascade))
            .field("cue_in_ms", .int, .required)
            .field("cue_out_ms", .int)
            .unique(on: "station_id", "starts_at")
            .create()
        try await database.schema("station_plays").field("scheduled_at", .int64).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("station_plays").deleteField("scheduled_at").update()
        try await database.schema("station_schedule").delete()
        try await database.schema("station_show_exceptions").delete()
        try await database.schema("station_shows").delete()
        try await database.schema("station_playlist_entries").delete()
        try await database.schema("station_playlists").delete()
    }
}

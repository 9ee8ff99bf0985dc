import Fluent
import SQLKit

/// Migration 025 - jukebox rooms, their guests (signed in or by a cookie), the queue and votes.
struct M025_CreateJukebox: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("jukebox_rooms")
            .field("id", .int64, .identifier(auto: true))
            .field("slug", .string, .required)
            .field("name", .string, .required)
            .field("owner_id", .int64, .required, .references("users", "id", onDelete: .cascade))
            // The join link's secret, sealed with the instance key (the host can show it again); rotating it shuts the old link.
            .field("join_code_sealed", .string, .required)
            .field("require_accounts", .bool, .required)
            .field("downvotes_to_remove", .int, .required)
            .field("downvotes_to_skip", .int, .required)
            .field("max_per_guest", .int, .required)
            .field("cooldown_minutes", .int, .required)
            .field("max_queue", .int, .required)
            .field("locked", .bool, .required)
            // When the queue runs dry, the room picks something like what just played.
            .field("autoplay", .bool, .required)
            .field("closed", .bool, .required)
            // The room's clock: what plays, since when (paused time shifts it), paused since.
            .field("current_entry_id", .int64)
            .field("current_started_at", .int64)
            .field("paused_at", .int64)
            .field("created_at", .int64, .required)
            .field("updated_at", .int64, .required)
            .unique(on: "slug")
            .create()
        try await database.schema("jukebox_guests")
            .field("id", .int64, .identifier(auto: true))
            .field("room_id", .int64, .required, .references("jukebox_rooms", "id", onDelete: .cascade))
            .field("name", .string, .required)
            .field("user_id", .int64, .references("users", "id", onDelete: .cascade))
            .field("session_hash", .string)
            .field("banned", .bool, .required)
            .field("last_suggested_at", .int64)
            .field("created_at", .int64, .required)
            .unique(on: "session_hash")
            .create()
        try await database.sql.raw("CREATE UNIQUE INDEX jukebox_guests_room_user ON jukebox_guests (room_id, user_id)").run()
        try await database.schema("jukebox_entries")
            .field("id", .int64, .identifier(auto: true))
            .field("room_id", .int64, .required, .references("jukebox_rooms", "id", onDelete: .cascade))
            .field("track_id", .int64, .required, .references("tracks", "id", onDelete: .cascade))
            .field("guest_id", .int64, .references("jukebox_guests", "id", onDelete: .setNull))
            .field("score", .int, .required)
            // queued, playing, played, skipped, removed, failed
            .field("state", .string, .required)
            .field("created_at", .int64, .required)
            .field("started_at", .int64)
            .field("ended_at", .int64)
            .create()
        try await database.sql.raw("CREATE INDEX jukebox_entries_room_state ON jukebox_entries (room_id, state, score, created_at)").run()
        try await database.schema("jukebox_votes")
            .field("entry_id", .int64, .required, .references("jukebox_entries", "id", onDelete: .cascade))
            .field("guest_id", .int64, .required, .references("jukebox_guests", "id", onDelete: .cascade))
            .field("value", .int, .required)
            .unique(on: "entry_id", "guest_id")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("jukebox_votes").delete()
        try await database.schema("jukebox_entries").delete()
        try await database.schema("jukebox_guests").delete()
        try await database.schema("jukebox_rooms").delete()
    }
}

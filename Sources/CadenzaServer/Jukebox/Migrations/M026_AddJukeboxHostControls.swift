import Fluent
import SQLKit

/// Migration 026 - the host's controls: the speaker's volume (Subsonic `setGain`), songs moved
/// to the top of the queue (pinned, newest pin first, ahead of the score order), songs banned
/// from the room; and signed-in guests who chose to have what plays become their listens too
/// (until when: a choice made at a party ends with it, not with the room).
struct M026_AddJukeboxHostControls: AsyncMigration {
    func prepare(on database: any Database) async throws {
        // Plain ALTER TABLE with defaults: the same on SQLite and PostgreSQL, existing rows filled.
        try await database.sql.raw("ALTER TABLE jukebox_rooms ADD COLUMN gain DOUBLE PRECISION NOT NULL DEFAULT 1.0").run()
        try await database.sql.raw("ALTER TABLE jukebox_entries ADD COLUMN pinned_at BIGINT").run()
        try await database.sql.raw("ALTER TABLE jukebox_guests ADD COLUMN shares_listens_until BIGINT").run()
        try await database.schema("jukebox_track_bans")
            .field("room_id", .int64, .required, .references("jukebox_rooms", "id", onDelete: .cascade))
            .field("track_id", .int64, .required, .references("tracks", "id", onDelete: .cascade))
            .field("created_at", .int64, .required)
            .unique(on: "room_id", "track_id")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("jukebox_track_bans").delete()
        try await database.schema("jukebox_guests").deleteField("shares_listens_until").update()
        try await database.schema("jukebox_entries").deleteField("pinned_at").update()
        try await database.schema("jukebox_rooms").deleteField("gain").update()
    }
}

import Fluent
import SQLKit

/// Migration 027 - how a room plays: `speaker` (a browser page on the party machine) or
/// `stream` (the playout engine, to the room's own mount). Existing rooms keep their speaker.
struct M027_AddRoomPlayback: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.sql.raw("ALTER TABLE jukebox_rooms ADD COLUMN playback VARCHAR(16) NOT NULL DEFAULT 'speaker'").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("jukebox_rooms").deleteField("playback").update()
    }
}

import Fluent
import SQLKit

/// Migration 028 - Raveberry's remaining room settings: how much guests may do (full control,
/// full voting, upvotes only, no control), words a song's title, artist or album must not
/// contain (one per line), and "new music only" (nothing the room played before).
struct M028_AddRoomRules: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.sql.raw("ALTER TABLE jukebox_rooms ADD COLUMN interactivity VARCHAR(16) NOT NULL DEFAULT 'full_voting'").run()
        try await database.sql.raw("ALTER TABLE jukebox_rooms ADD COLUMN forbidden_words TEXT NOT NULL DEFAULT ''").run()
        try await database.sql.raw("ALTER TABLE jukebox_rooms ADD COLUMN new_music_only BOOLEAN NOT NULL DEFAULT FALSE").run()
    }

    func revert(on database: any Database) async throws {
        // One column per statement: SQLite drops one at a time.
        for column in ["new_music_only", "forbidden_words", "interactivity"] {
            try await database.schema("jukebox_rooms").deleteField(.key(.string(column))).update()
        }
    }
}

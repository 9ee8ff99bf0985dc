import Fluent
import SQLKit

/// Migration 024 - a station's rotation rules: how long before a track or an artist may air
/// again, and a jingle (station ID) from one of its playlists every N songs.
struct M024_AddStationRotationSettings: AsyncMigration {
    func prepare(on database: any Database) async throws {
        // Plain ALTER TABLE with defaults: the same on SQLite and PostgreSQL, existing rows filled.
        try await database.sql.raw("ALTER TABLE stations ADD COLUMN track_gap_minutes INTEGER NOT NULL DEFAULT 60").run()
        try await database.sql.raw("ALTER TABLE stations ADD COLUMN artist_gap_minutes INTEGER NOT NULL DEFAULT 20").run()
        try await database.sql.raw("ALTER TABLE stations ADD COLUMN jingle_playlist_id BIGINT").run()
        try await database.sql.raw("ALTER TABLE stations ADD COLUMN jingle_every INTEGER NOT NULL DEFAULT 0").run()
    }

    func revert(on database: any Database) async throws {
        for column in ["jingle_every", "jingle_playlist_id", "artist_gap_minutes", "track_gap_minutes"] {
            try await database.schema("stations").deleteField(.key(.string(column))).update()
        }
    }
}

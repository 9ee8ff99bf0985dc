import Fluent
import SQLKit

/// Playing-now names the library track when there is one, so that it is the platform's only
/// now-playing (Subsonic's own table goes in M016).
struct M015_AddTrackToPlayingNow: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.sql.raw("ALTER TABLE listen_playing_now ADD COLUMN track_id BIGINT").run()
    }

    func revert(on database: any Database) async throws {
        try await database.sql.raw("ALTER TABLE listen_playing_now DROP COLUMN track_id").run()
    }
}

import Fluent
import SQLKit

/// Subsonic's now-playing becomes the listens' playing-now (M015), and its internet radio links
/// get a name of their own, so that "radio stations" can be the Radio feature's.
struct M016_RetireNowPlayingRenameInternetRadio: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.sql.raw("DROP TABLE now_playing").run()
        try await database.sql.raw("ALTER TABLE radio_stations RENAME TO internet_radio_stations").run()
    }

    func revert(on database: any Database) async throws {
        try await database.sql.raw("ALTER TABLE internet_radio_stations RENAME TO radio_stations").run()
        try await database.sql.raw(
            """
            CREATE TABLE now_playing (user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE, client TEXT NOT NULL,
              track_id BIGINT NOT NULL REFERENCES tracks (id) ON DELETE CASCADE, started_at BIGINT NOT NULL,
              expires_at BIGINT NOT NULL, PRIMARY KEY (user_id, client))
            """
        ).run()
    }
}

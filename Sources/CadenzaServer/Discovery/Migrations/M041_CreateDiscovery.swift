import Fluent
import SQLKit

/// Migration 041 - what the nightly model leaves for requests to read: each track's and each
/// artist's nearest neighbours by co-listening (one row per item, the list encoded: reading a
/// seed's neighbours is one row), each track's listeners on this instance, the model's last
/// build, and the playlists made for each user (replaced, never piled up; one the user deleted,
/// or one with nothing to hold, stays away until its next period). Rows of tracks
/// deleted since the last build are ignored by readers (they join what is visible) and gone at
/// the next build.
struct M041_CreateDiscovery: AsyncMigration {
    func prepare(on database: any Database) async throws {
        let sql = database.sql
        try await sql.raw(
            """
            CREATE TABLE discovery_neighbours (kind INTEGER NOT NULL, item_id BIGINT NOT NULL, neighbours TEXT NOT NULL,
              PRIMARY KEY (kind, item_id))
            """
        ).run()
        try await sql.raw(
            """
            CREATE TABLE discovery_popularity (track_id BIGINT PRIMARY KEY,
              listeners INTEGER NOT NULL, plays BIGINT NOT NULL)
            """
        ).run()
        try await sql.raw("CREATE INDEX discovery_popularity_rank ON discovery_popularity (listeners, plays)").run()
        try await sql.raw(
            """
            CREATE TABLE discovery_model (id INTEGER PRIMARY KEY, built_at BIGINT NOT NULL, listeners INTEGER NOT NULL,
              tracks INTEGER NOT NULL, artists INTEGER NOT NULL, pairs BIGINT NOT NULL, millis BIGINT NOT NULL)
            """
        ).run()
        try await sql.raw(
            """
            CREATE TABLE discovery_playlists (user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
              kind TEXT NOT NULL, playlist_id BIGINT REFERENCES playlists (id) ON DELETE SET NULL,
              period TEXT NOT NULL, updated_at BIGINT NOT NULL, PRIMARY KEY (user_id, kind))
            """
        ).run()
    }

    func revert(on database: any Database) async throws {
        for table in ["discovery_playlists", "discovery_model", "discovery_popularity", "discovery_neighbours"] {
            try await database.sql.raw("DROP TABLE \(unsafeRaw: table)").run()
        }
    }
}

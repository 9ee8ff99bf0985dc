import Fluent
import SQLKit

/// Migration 034 - a show's optional intro (airs at its start) and outro (airs so that it ends
/// at the show's end, cutting the content before it), and which scheduled items are outros.
struct M034_AddShowIntroAndOutro: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.sql.raw("ALTER TABLE station_shows ADD COLUMN intro_track_id BIGINT").run()
        try await database.sql.raw("ALTER TABLE station_shows ADD COLUMN outro_track_id BIGINT").run()
        try await database.sql.raw("ALTER TABLE station_schedule ADD COLUMN outro BOOLEAN NOT NULL DEFAULT FALSE").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("station_schedule").deleteField("outro").update()
        // One column per statement: SQLite alters one at a time.
        try await database.schema("station_shows").deleteField("intro_track_id").update()
        try await database.schema("station_shows").deleteField("outro_track_id").update()
    }
}

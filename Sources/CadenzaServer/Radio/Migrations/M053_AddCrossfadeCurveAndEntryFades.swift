import Fluent
import SQLKit

/// Migration 053 - a station's crossfade curve, and a playlist entry's own fades (carried into
/// the schedule's items of the shows that air it).
struct M053_AddCrossfadeCurveAndEntryFades: AsyncMigration {
    func prepare(on database: any Database) async throws {
        let sql = database.sql
        try await sql.raw("ALTER TABLE stations ADD COLUMN crossfade_curve TEXT NOT NULL DEFAULT 'equalPower'").run()
        for table in ["station_playlist_entries", "station_schedule"] {
            try await sql.raw("ALTER TABLE \(unsafeRaw: table) ADD COLUMN fade_in_ms INTEGER").run()
            try await sql.raw("ALTER TABLE \(unsafeRaw: table) ADD COLUMN fade_out_ms INTEGER").run()
        }
    }

    func revert(on database: any Database) async throws {
        try await database.schema("stations").deleteField("crossfade_curve").update()
        for table in ["station_playlist_entries", "station_schedule"] {
            // One column per ALTER: SQLite drops one at a time.
            try await database.schema(table).deleteField("fade_in_ms").update()
            try await database.schema(table).deleteField("fade_out_ms").update()
        }
    }
}

import Fluent
import SQLKit

/// Migration 055 - a station's and a show's own picture: the hash and type of an image in the
/// content-addressed artwork store (the library's, so backups carry it).
struct M055_AddStationAndShowArtwork: AsyncMigration {
    func prepare(on database: any Database) async throws {
        for table in ["stations", "station_shows"] {
            try await database.sql.raw("ALTER TABLE \(unsafeRaw: table) ADD COLUMN artwork_hash TEXT").run()
            try await database.sql.raw("ALTER TABLE \(unsafeRaw: table) ADD COLUMN artwork_mime TEXT").run()
        }
    }

    func revert(on database: any Database) async throws {
        for table in ["stations", "station_shows"] {
            // One column per ALTER: SQLite drops one at a time.
            try await database.schema(table).deleteField("artwork_hash").update()
            try await database.schema(table).deleteField("artwork_mime").update()
        }
    }
}

import Fluent
import SQLKit

/// Migration 030 - smart blocks (a station playlist whose tracks are chosen by rules, stored as
/// JSON in `smart`), each playlist's weight in the autoDJ rotation (0: not in it), and a
/// station ID once an hour (`jingle_minute`).
struct M030_AddSmartBlocksAndRotation: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.sql.raw("ALTER TABLE station_playlists ADD COLUMN smart TEXT").run()
        try await database.sql.raw("ALTER TABLE station_playlists ADD COLUMN rotation_weight INTEGER NOT NULL DEFAULT 0").run()
        try await database.sql.raw("ALTER TABLE stations ADD COLUMN jingle_minute INTEGER").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("stations").deleteField("jingle_minute").update()
        try await database.schema("station_playlists").deleteField("rotation_weight").update()
        try await database.schema("station_playlists").deleteField("smart").update()
    }
}

import Fluent
import SQLKit

/// Migration 050 - a station's encoding rate (kb/s) for its mounts, HLS and push; the stations
/// before it aired at 128.
struct M050_AddStationBitrate: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.sql.raw("ALTER TABLE stations ADD COLUMN bitrate INTEGER NOT NULL DEFAULT 128").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("stations").deleteField("bitrate").update()
    }
}

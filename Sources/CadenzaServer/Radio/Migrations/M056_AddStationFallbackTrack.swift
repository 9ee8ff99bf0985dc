import Fluent
import SQLKit

/// Migration 056 - the track a station loops when nothing else can air (NULL: the generated tone).
struct M056_AddStationFallbackTrack: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.sql.raw("ALTER TABLE stations ADD COLUMN fallback_track_id BIGINT").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("stations").deleteField("fallback_track_id").update()
    }
}

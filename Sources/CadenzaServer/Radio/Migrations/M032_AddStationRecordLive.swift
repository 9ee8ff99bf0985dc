import Fluent
import SQLKit

/// Migration 032 - whether a station records its live sets into a library.
struct M032_AddStationRecordLive: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.sql.raw("ALTER TABLE stations ADD COLUMN record_live BOOLEAN NOT NULL DEFAULT FALSE").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("stations").deleteField("record_live").update()
    }
}

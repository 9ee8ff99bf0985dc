import Fluent
import SQLKit

/// Migration 054 - how many listeners each of a station's mounts takes at once (the stations
/// before it took the built-in 1,000).
struct M054_AddStationListenerLimit: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.sql.raw("ALTER TABLE stations ADD COLUMN max_listeners INTEGER NOT NULL DEFAULT 1000").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("stations").deleteField("max_listeners").update()
    }
}

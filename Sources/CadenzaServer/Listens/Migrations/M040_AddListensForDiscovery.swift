import Fluent
import SQLKit

/// Migration 040 - whether a user's listens may shape what others are recommended (on by
/// default, as on ListenBrainz; private listens never do, whatever this says).
struct M040_AddListensForDiscovery: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.sql.raw("ALTER TABLE users ADD COLUMN listens_for_discovery BOOLEAN NOT NULL DEFAULT TRUE").run()
    }

    func revert(on database: any Database) async throws {
        try await database.sql.raw("ALTER TABLE users DROP COLUMN listens_for_discovery").run()
    }
}

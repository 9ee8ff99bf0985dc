import Fluent
import SQLKit

/// Migration 013 - a per-user counter that moves with every star, rating and play count change,
/// so readers can keep a user's annotations until it moves.
struct M013_AddAnnotationsVersion: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.sql.raw("ALTER TABLE users ADD COLUMN annotations_version BIGINT NOT NULL DEFAULT 0").run()
    }

    func revert(on database: any Database) async throws {
        try await database.sql.raw("ALTER TABLE users DROP COLUMN annotations_version").run()
    }
}

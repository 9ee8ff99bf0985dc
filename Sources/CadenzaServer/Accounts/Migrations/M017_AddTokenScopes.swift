import Fluent
import SQLKit

/// API tokens get a scope (full, listens, subsonic); tokens made before keep full access.
struct M017_AddTokenScopes: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.sql.raw("ALTER TABLE api_tokens ADD COLUMN scope TEXT NOT NULL DEFAULT 'full'").run()
    }

    func revert(on database: any Database) async throws {
        try await database.sql.raw("ALTER TABLE api_tokens DROP COLUMN scope").run()
    }
}

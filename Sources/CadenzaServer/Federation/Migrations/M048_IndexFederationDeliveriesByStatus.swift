import Fluent
import SQLKit

/// Migration 048 - deliveries by status and age: the queue gauges read the oldest waiting one at
/// every scrape, which walked the whole table.
struct M048_IndexFederationDeliveriesByStatus: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.sql.raw("CREATE INDEX federation_deliveries_status ON federation_deliveries (status, created_at)").run()
    }

    func revert(on database: any Database) async throws {
        try await database.sql.raw("DROP INDEX federation_deliveries_status").run()
    }
}

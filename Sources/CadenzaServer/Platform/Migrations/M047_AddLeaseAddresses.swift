import Fluent
import SQLKit

/// Migration 047 - where a lease's holder answers (a playout's own URL): a standby that finds a
/// station's lease expired asks its holder before airing the station, so a playout that lost only
/// its database link (and airs on, as a station must through an outage) is never doubled.
struct M047_AddLeaseAddresses: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.sql.raw("ALTER TABLE leases ADD COLUMN address TEXT").run()
    }

    func revert(on database: any Database) async throws {
        try await database.sql.raw("ALTER TABLE leases DROP COLUMN address").run()
    }
}

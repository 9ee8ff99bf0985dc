import Fluent
import SQLKit

/// Leases (one holder per key across the cluster: the scheduler, an event consumer, a station's
/// playout) and the stored positions of durable event consumers.
struct M014_CreateLeasesAndEventConsumers: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("leases")
            .field("key", .string, .identifier(auto: false))
            .field("owner", .string, .required)
            .field("expires_at", .int64, .required)
            .create()
        try await database.schema("event_consumers")
            .field("name", .string, .identifier(auto: false))
            .field("position", .int64, .required)
            .field("updated_at", .int64, .required)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("event_consumers").delete()
        try await database.schema("leases").delete()
    }
}

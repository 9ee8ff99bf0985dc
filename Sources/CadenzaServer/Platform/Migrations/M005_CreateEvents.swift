import Fluent
import SQLKit

/// Migration 005 - the event outbox, read by consumers in id order.
struct M005_CreateEvents: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("events")
            .field("id", .int64, .identifier(auto: true))
            .field("type", .string, .required)
            .field("actor_id", .int64)
            .field("subject_type", .string)
            .field("subject_id", .string)
            .field("payload", .string, .required)
            .field("visibility", .string, .required)
            .field("audience_user_id", .int64)
            .field("created_at", .int64, .required)
            .create()
        try await database.sql.raw("CREATE INDEX events_audience ON events (audience_user_id, id)").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("events").delete()
    }
}

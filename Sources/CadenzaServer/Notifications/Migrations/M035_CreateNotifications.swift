import FluentSQL
import Fluent
import SQLKit

/// Migration 035 - notifications: where a user's news goes (destinations), what they watch
/// (rules, each sending to some destinations), the in-app inbox, and one delivery row per
/// destination and event, which the delivery jobs work through.
struct M035_CreateNotifications: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("notification_destinations")
            .field("id", .int64, .identifier(auto: true))
            .field("user_id", .int64, .required, .references("users", "id", onDelete: .cascade))
            // inbox, email, webhook
            .field("kind", .string, .required)
            .field("name", .string, .required)
            // The email address or the URL; empty for the inbox.
            .field("address", .string, .required)
            // Webhooks: standard, ntfy or gotify.
            .field("format", .string)
            // The webhook's signing secret (or a Gotify token), sealed with the server's key.
            .field("secret_sealed", .string)
            .field("confirmed_at", .int64)
            .field("confirm_token_hash", .string)
            .field("confirm_expires_at", .int64)
            // 0: send at once; otherwise gather for this many minutes...
            .field("digest_minutes", .int, .required, .sql(.default(0)))
            // ...or until this many are waiting (0: no count), whichever comes first.
            .field("digest_count", .int, .required, .sql(.default(0)))
            // ...or (set) once a day at this many minutes after midnight in `time_zone`.
            .field("digest_at", .int)
            .field("time_zone", .string, .required, .sql(.default("UTC")))
            // At most this many messages an hour; the rest wait for the next digest.
            .field("rate_per_hour", .int, .required, .sql(.default(30)))
            .field("failures", .int, .required, .sql(.default(0)))
            .field("disabled_at", .int64)
            .field("last_error", .string)
            .field("last_sent_at", .int64)
            .field("created_at", .int64, .required)
            .create()
        try await database.sql.raw("CREATE INDEX notification_destinations_user ON notification_destinations (user_id)").run()
        // One inbox per user: made with the default rules, so the two are made once.
        try await database.sql.raw(
            "CREATE UNIQUE INDEX notification_destinations_inbox ON notification_destinations (user_id) WHERE kind = 'inbox'"
        ).run()

        try await database.schema("notification_rules")
            .field("id", .int64, .identifier(auto: true))
            .field("user_id", .int64, .required, .references("users", "id", onDelete: .cascade))
            .field("name", .string, .required)
            // mentions, owned, followed, users, admin
            .field("tracking", .string, .required)
            // JSON array: the objects or user ids followed/users rules watch.
            .field("targets", .string, .required)
            // Space-separated event type globs; empty: every type.
            .field("types", .string, .required)
            .field("min_severity", .string, .required)
            .field("include_own", .bool, .required)
            .field("one_shot", .bool, .required)
            .field("enabled", .bool, .required)
            // Minutes after local midnight; both set: nothing is sent between them (the inbox still fills).
            .field("quiet_start", .int)
            .field("quiet_end", .int)
            .field("time_zone", .string, .required)
            .field("fired_count", .int64, .required, .sql(.default(0)))
            .field("last_fired_at", .int64)
            .field("created_at", .int64, .required)
            .create()
        try await database.sql.raw("CREATE INDEX notification_rules_user ON notification_rules (user_id)").run()

        try await database.schema("notification_rule_destinations")
            .field("rule_id", .int64, .required, .references("notification_rules", "id", onDelete: .cascade))
            .field("destination_id", .int64, .required, .references("notification_destinations", "id", onDelete: .cascade))
            .compositeIdentifier(over: "rule_id", "destination_id")
            .create()

        try await database.schema("notifications")
            .field("id", .int64, .identifier(auto: true))
            .field("user_id", .int64, .required, .references("users", "id", onDelete: .cascade))
            .field("event_id", .int64, .required)
            .field("type", .string, .required)
            .field("severity", .string, .required)
            .field("title", .string, .required)
            .field("body", .string, .required)
            .field("link", .string)
            .field("rule_ids", .string, .required)
            .field("created_at", .int64, .required)
            .field("read_at", .int64)
            .field("expires_at", .int64)
            .unique(on: "user_id", "event_id")
            .create()
        try await database.sql.raw("CREATE INDEX notifications_user_unread ON notifications (user_id, read_at, id)").run()

        try await database.schema("notification_deliveries")
            .field("id", .int64, .identifier(auto: true))
            .field("destination_id", .int64, .required, .references("notification_destinations", "id", onDelete: .cascade))
            .field("user_id", .int64, .required)
            .field("event_id", .int64, .required)
            .field("type", .string, .required)
            .field("severity", .string, .required)
            .field("title", .string, .required)
            .field("body", .string, .required)
            .field("link", .string)
            .field("rule_ids", .string, .required)
            // held (waits for a digest), queued, sent, failed, expired
            .field("status", .string, .required)
            // The deliveries sent as one message share the id of the first: the webhook-id.
            .field("batch_id", .int64)
            .field("attempts", .int, .required, .sql(.default(0)))
            .field("next_attempt_at", .int64)
            .field("last_error", .string)
            .field("expires_at", .int64)
            .field("created_at", .int64, .required)
            .field("sent_at", .int64)
            .unique(on: "destination_id", "event_id")
            .create()
        try await database.sql.raw("CREATE INDEX notification_deliveries_status ON notification_deliveries (status, destination_id)").run()
        try await database.sql.raw("CREATE INDEX notification_deliveries_batch ON notification_deliveries (batch_id)").run()
    }

    func revert(on database: any Database) async throws {
        for table in [
            "notification_deliveries", "notifications", "notification_rule_destinations", "notification_rules", "notification_destinations",
        ] {
            try await database.schema(table).delete()
        }
    }
}

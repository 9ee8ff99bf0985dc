import Fluent
import FluentSQL
import SQLKit

/// Migration 036 - federation: our actors' keys, the remote actors we know, every activity
/// received or sent (stored before it is processed), follows in both directions, one delivery
/// row per activity and inbox, and the administrators' domain policies.
struct M036_CreateFederation: AsyncMigration {
    func prepare(on database: any Database) async throws {
        // One RSA key pair per local actor (the service actor, each user), made on first use.
        try await database.schema("federation_keys")
            .field("id", .int64, .identifier(auto: true))
            // `service` or `user:<id>`.
            .field("actor", .string, .required)
            .field("public_pem", .string, .required)
            // The PKCS#8 private key, sealed with the server's key.
            .field("private_sealed", .string, .required)
            .field("created_at", .int64, .required)
            .unique(on: "actor")
            .create()

        try await database.schema("remote_actors")
            .field("id", .int64, .identifier(auto: true))
            .field("uri", .string, .required)
            // host[:port] of the uri: the domain every policy is keyed by.
            .field("authority", .string, .required)
            .field("type", .string, .required)
            .field("username", .string)
            .field("name", .string)
            .field("inbox", .string, .required)
            .field("shared_inbox", .string)
            .field("key_id", .string, .required)
            .field("public_pem", .string, .required)
            .field("fetched_at", .int64, .required)
            .unique(on: "uri")
            .create()
        try await database.sql.raw("CREATE INDEX remote_actors_key ON remote_actors (key_id)").run()

        try await database.schema("federation_activities")
            .field("id", .int64, .identifier(auto: true))
            .field("uri", .string, .required)
            // in / out
            .field("direction", .string, .required)
            .field("type", .string, .required)
            .field("actor_uri", .string, .required)
            .field("object_uri", .string)
            .field("payload", .string, .required)
            // received, processed, ignored, failed (inbound); sent (outbound)
            .field("status", .string, .required)
            .field("error", .string)
            .field("created_at", .int64, .required)
            .unique(on: "uri")
            .create()

        try await database.schema("federation_follows")
            .field("id", .int64, .identifier(auto: true))
            // The Follow activity's id, echoed by its Accept or Reject.
            .field("uri", .string, .required)
            // out: a local user follows a remote object; in: a remote actor follows a local one.
            .field("direction", .string, .required)
            .field("local_user_id", .int64, .references("users", "id", onDelete: .cascade))
            .field("remote_actor_uri", .string, .required)
            // What is followed: a library's or a person's id.
            .field("object_uri", .string, .required)
            // library / person
            .field("object_kind", .string, .required)
            // The local library followed (inbound follows of a library).
            .field("library_id", .int64, .references("libraries", "id", onDelete: .cascade))
            // pending, approved, rejected
            .field("status", .string, .required)
            .field("name", .string)
            .field("created_at", .int64, .required)
            .field("updated_at", .int64, .required)
            .unique(on: "uri")
            .create()
        // One follow of a thing per remote follower, and per local user (several users here may
        // follow the same library there, each with their own Follow).
        try await database.sql.raw(
            "CREATE UNIQUE INDEX federation_follows_in ON federation_follows (remote_actor_uri, object_uri) WHERE direction = 'in'"
        ).run()
        try await database.sql.raw(
            "CREATE UNIQUE INDEX federation_follows_out ON federation_follows (local_user_id, object_uri) WHERE direction = 'out'"
        ).run()
        try await database.sql.raw("CREATE INDEX federation_follows_user ON federation_follows (local_user_id)").run()

        try await database.schema("federation_deliveries")
            .field("id", .int64, .identifier(auto: true))
            .field("activity_id", .int64, .required, .references("federation_activities", "id", onDelete: .cascade))
            .field("inbox", .string, .required)
            .field("authority", .string, .required)
            // queued, sent, failed, dropped (the domain was blocked meanwhile)
            .field("status", .string, .required)
            .field("attempts", .int, .required)
            .field("last_error", .string)
            .field("created_at", .int64, .required)
            .field("updated_at", .int64, .required)
            .create()
        try await database.sql.raw(
            "CREATE UNIQUE INDEX federation_deliveries_once ON federation_deliveries (activity_id, inbox)"
        ).run()
        try await database.sql.raw("CREATE INDEX federation_deliveries_authority ON federation_deliveries (authority, status)").run()

        try await database.schema("federation_domains")
            .field("id", .int64, .identifier(auto: true))
            .field("authority", .string, .required)
            // block, silence, allow (allow matters in allow-list mode)
            .field("policy", .string, .required)
            .field("reject_media", .bool, .required)
            .field("note", .string, .required)
            .field("created_at", .int64, .required)
            .field("updated_at", .int64, .required)
            .unique(on: "authority")
            .create()

        // Accounts on other servers an administrator blocked (their domain may be fine).
        try await database.schema("federation_account_blocks")
            .field("id", .int64, .identifier(auto: true))
            .field("actor_uri", .string, .required)
            .field("note", .string, .required)
            .field("created_at", .int64, .required)
            .unique(on: "actor_uri")
            .create()
    }

    func revert(on database: any Database) async throws {
        for table in [
            "federation_account_blocks", "federation_domains", "federation_deliveries", "federation_follows", "federation_activities",
            "remote_actors", "federation_keys",
        ] {
            try await database.schema(table).delete()
        }
    }
}

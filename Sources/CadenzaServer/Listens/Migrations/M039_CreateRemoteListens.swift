import Fluent
import SQLKit

/// Migration 039 - listens of people on other instances, kept for each local user who follows
/// them there (so each follower's feed reads only their own rows).
struct M039_CreateRemoteListens: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("remote_listens")
            .field("id", .int64, .identifier(auto: true))
            .field("follower_user_id", .int64, .required, .references("users", "id", onDelete: .cascade))
            .field("actor_uri", .string, .required)
            // @user@host, as the feed shows it.
            .field("actor_name", .string, .required)
            .field("activity_uri", .string, .required)
            // Seconds since 1970, as local listens.
            .field("listened_at", .int64, .required)
            .field("track_name", .string, .required)
            .field("artist_name", .string, .required)
            .field("release_name", .string)
            .field("created_at", .int64, .required)
            .unique(on: "follower_user_id", "activity_uri")
            .create()
        try await database.sql.raw("CREATE INDEX remote_listens_feed ON remote_listens (follower_user_id, listened_at)").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("remote_listens").delete()
    }
}

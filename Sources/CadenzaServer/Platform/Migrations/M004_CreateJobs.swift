import Fluent
import SQLKit

/// Migration 004 - the durable job queue.
struct M004_CreateJobs: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("jobs")
            .field("id", .int64, .identifier(auto: true))
            .field("kind", .string, .required)
            .field("payload", .string, .required)
            .field("priority", .int, .required)
            .field("run_at", .int64, .required)
            .field("attempts", .int, .required)
            .field("max_attempts", .int, .required)
            .field("state", .string, .required)
            .field("lease_owner", .string)
            .field("lease_expires_at", .int64)
            .field("last_error", .string)
            .field("unique_key", .string)
            .field("created_at", .int64, .required)
            .field("updated_at", .int64, .required)
            .field("finished_at", .int64)
            .create()
        let sql = database.sql
        // The claim query scans by state and due time.
        try await sql.raw("CREATE INDEX jobs_claim ON jobs (state, run_at)").run()
        try await sql.raw("CREATE INDEX jobs_lease ON jobs (state, lease_expires_at)").run()
        // One live job per unique key; finished jobs free the key so the work can be queued again.
        try await sql.raw("CREATE UNIQUE INDEX jobs_unique_live ON jobs (unique_key) WHERE state IN ('queued', 'running')").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("jobs").delete()
    }
}

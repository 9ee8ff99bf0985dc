import Fluent
import SQLKit

/// Migration 042 - the request a job or an event came from (its `X-Request-ID`), so the lines a
/// worker logs for that job, and the jobs and events it causes in turn, name the same request.
struct M042_AddTraceIDs: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.sql.raw("ALTER TABLE jobs ADD COLUMN trace_id TEXT").run()
        try await database.sql.raw("ALTER TABLE events ADD COLUMN trace_id TEXT").run()
    }

    func revert(on database: any Database) async throws {
        try await database.sql.raw("ALTER TABLE events DROP COLUMN trace_id").run()
        try await database.sql.raw("ALTER TABLE jobs DROP COLUMN trace_id").run()
    }
}

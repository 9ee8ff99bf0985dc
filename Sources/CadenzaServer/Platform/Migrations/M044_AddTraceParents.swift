import Fluent
import SQLKit

/// Migration 044 - the span a job or an event was written under (a W3C `traceparent`), so the
/// job's span and the event consumers' spans continue that trace in whichever process runs them.
struct M044_AddTraceParents: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.sql.raw("ALTER TABLE jobs ADD COLUMN trace_parent TEXT").run()
        try await database.sql.raw("ALTER TABLE events ADD COLUMN trace_parent TEXT").run()
    }

    func revert(on database: any Database) async throws {
        try await database.sql.raw("ALTER TABLE events DROP COLUMN trace_parent").run()
        try await database.sql.raw("ALTER TABLE jobs DROP COLUMN trace_parent").run()
    }
}

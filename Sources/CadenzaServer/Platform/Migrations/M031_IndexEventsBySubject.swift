import Fluent
import SQLKit

/// Migration 031 - events found by type and subject, newest first (what a station announced
/// last, read by servers that do not air it), without scanning the whole log.
struct M031_IndexEventsBySubject: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.sql.raw("CREATE INDEX events_type_subject ON events (type, subject_id, id)").run()
    }

    func revert(on database: any Database) async throws {
        try await database.sql.raw("DROP INDEX events_type_subject").run()
    }
}

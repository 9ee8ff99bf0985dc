import Fluent
import SQLKit

/// Migration 046 - on PostgreSQL, the listens and the rollup tables stop checking their foreign
/// keys row by row. PostgreSQL checks each inserted row's keys with a trigger and a query: for
/// `listens` (user and recording) that made an insert of 200,000 rows take 2.3 s instead of
/// 0.37 s, the largest single cost of an import. What the checks guarded holds anyway: every
/// writer of these tables first locks the user's row (`ListenStore.lockOwner`), and recordings
/// are never deleted. Users are never deleted either; a feature that deletes one must delete
/// their rows here itself (there is no cascade any more on PostgreSQL). SQLite keeps the keys:
/// its checks are an index probe in-process, and dropping one would rebuild each table.
struct M046_DropListenForeignKeysOnPostgres: AsyncMigration {
    static let constraints = [
        ("listens", "listens_user_id_fkey"), ("listens", "listens_recording_id_fkey"),
        ("listen_hours", "listen_hours_user_id_fkey"), ("listen_entity_totals", "listen_entity_totals_user_id_fkey"),
        ("listen_entity_months", "listen_entity_months_user_id_fkey"), ("listen_entity_years", "listen_entity_years_user_id_fkey"),
        ("listen_entity_days", "listen_entity_days_user_id_fkey"),
    ]

    func prepare(on database: any Database) async throws {
        guard database.sql.isPostgres else { return }
        for (table, constraint) in Self.constraints {
            try await database.sql.raw("ALTER TABLE \(unsafeRaw: table) DROP CONSTRAINT IF EXISTS \(unsafeRaw: constraint)").run()
        }
    }

    func revert(on database: any Database) async throws {
        guard database.sql.isPostgres else { return }
        for (table, constraint) in Self.constraints {
            let target =
                constraint.hasSuffix("recording_id_fkey")
                ? "recording_id) REFERENCES listen_recordings (id)" : "user_id) REFERENCES users (id) ON DELETE CASCADE"
            try await database.sql.raw(
                "ALTER TABLE \(unsafeRaw: table) ADD CONSTRAINT \(unsafeRaw: constraint) FOREIGN KEY (\(unsafeRaw: target)"
            ).run()
        }
    }
}

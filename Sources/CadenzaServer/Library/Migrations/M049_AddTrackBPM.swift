import Fluent
import SQLKit

/// Migration 049 - a track's tempo from its tags (beats per minute), for Subsonic's `bpm` and a
/// station's smart blocks. Files scanned before are read again only when they change (or on a
/// full rescan), so their tempo stays unknown until then.
struct M049_AddTrackBPM: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.sql.raw("ALTER TABLE tracks ADD COLUMN bpm INTEGER").run()
    }

    func revert(on database: any Database) async throws {
        try await database.sql.raw("ALTER TABLE tracks DROP COLUMN bpm").run()
    }
}

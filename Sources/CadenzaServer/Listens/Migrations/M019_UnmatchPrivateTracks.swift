import Fluent
import SQLKit

/// The recording dictionary is shared by every user's listens: matches made before to tracks in
/// private libraries are dropped (each listener's own view of their listens never needed them).
struct M019_UnmatchPrivateTracks: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.sql.raw(
            """
            UPDATE listen_recordings SET track_id = NULL WHERE track_id IN
              (SELECT t.id FROM tracks t JOIN libraries l ON l.id = t.library_id WHERE l.visibility = 'private')
            """
        ).run()
    }

    func revert(on database: any Database) async throws {}
}

import Fluent
import SQLKit

/// Migration 043 - tracks in title order without sorting the library: the web app's track list
/// (and Subsonic's song lists in title order) read a page by walking this index, where PostgreSQL
/// sorted every visible track for each page (20 ms of its CPU per page at 20,000 tracks).
struct M043_IndexTracksBySortTitle: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.sql.raw("CREATE INDEX tracks_sort_title ON tracks (sort_title, id)").run()
    }

    func revert(on database: any Database) async throws {
        try await database.sql.raw("DROP INDEX tracks_sort_title").run()
    }
}

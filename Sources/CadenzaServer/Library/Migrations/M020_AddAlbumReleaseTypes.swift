import Fluent
import SQLKit

/// Migration 020 - an album's MusicBrainz release-group types ("album;live"), so artist pages can
/// group albums, EPs, singles and live records; empty until a file of the album is (re)scanned.
struct M020_AddAlbumReleaseTypes: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.sql.raw("ALTER TABLE albums ADD COLUMN release_types VARCHAR(200) NOT NULL DEFAULT ''").run()
    }

    func revert(on database: any Database) async throws {
        try await database.sql.raw("ALTER TABLE albums DROP COLUMN release_types").run()
    }
}

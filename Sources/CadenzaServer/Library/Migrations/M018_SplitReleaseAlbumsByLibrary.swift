import Fluent
import SQLKit

/// Albums matched by MusicBrainz release id are now one per library ("mbid:<release>|lib:<id>"):
/// merged across libraries, a file carrying another user's private release id showed that
/// album's title, artist and cover. Existing merged albums stay with the library whose track came
/// first; the other libraries' tracks move to placeholder copies at once and are re-read by a scan
/// queued here, which files them under an album named by their own tags (the copy is then pruned).
struct M018_SplitReleaseAlbumsByLibrary: AsyncMigration {
    func prepare(on database: any Database) async throws {
        let sql = database.sql
        var rescan: Set<Int64> = []
        let albums = try await sql.raw("SELECT id, match_key FROM albums WHERE match_key LIKE 'mbid:%'").all()
        for album in albums {
            let id = try album.decode(column: "id", as: Int64.self)
            let key = try album.decode(column: "match_key", as: String.self)
            guard !key.contains("|lib:") else { continue }
            let libraries = try await sql.raw(
                "SELECT library_id, MIN(id) AS first FROM tracks WHERE album_id = \(bind: id) GROUP BY library_id ORDER BY first"
            ).all().map { try $0.decode(column: "library_id", as: Int64.self) }
            guard let owner = libraries.first else { continue }
            try await sql.raw("UPDATE albums SET match_key = \(bind: "\(key)|lib:\(owner)") WHERE id = \(bind: id)").run()
            for library in libraries.dropFirst() {
                let copy = try await sql.raw(
                    """
                    INSERT INTO albums (title, sort_title, match_key, album_artist_id, year, original_year, compilation, mbid,
                                        release_group_mbid, created_at, updated_at)
                    SELECT '[Unknown Album]', '[unknown album]', \(bind: "\(key)|lib:\(library)|split"), album_artist_id, year, original_year, compilation, mbid,
                           release_group_mbid, created_at, updated_at FROM albums WHERE id = \(bind: id)
                    RETURNING id
                    """
                ).first()?.decode(column: "id", as: Int64.self)
                guard let copy else { continue }
                try await sql.raw("UPDATE tracks SET album_id = \(bind: copy) WHERE album_id = \(bind: id) AND library_id = \(bind: library)").run()
                try await sql.raw(
                    "UPDATE files SET mtime = 0 WHERE track_id IN (SELECT id FROM tracks WHERE album_id = \(bind: copy))"
                ).run()
                rescan.insert(library)
            }
        }
        for library in rescan.sorted() { _ = try await Libraries.enqueueScan(libraryID: library, full: false, on: sql) }
    }

    func revert(on database: any Database) async throws {}
}

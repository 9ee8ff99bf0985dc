import CadenzaTags
import Fluent
import Foundation
import SQLKit

/// A track on another instance, as its Audio object describes it.
struct RemoteAudio: Sendable, Equatable {
    var uri: String
    var streamURL: String
    var mediaType: String
    var size: Int64
    var updatedMillis: Int64
    var tags: AudioTags
    var trackURI: String? = nil
    var albumURI: String? = nil
    /// The object as received (JSON), kept to apply a later Update of its track, album or artist.
    var document: String = "{}"
}

/// Libraries mirroring a library on another instance (one per local follower, private to them):
/// their tracks are catalogued like any other, marked remote, and their bytes fetched on play.
/// Federation fills them through these functions; nothing else writes them.
enum RemoteCatalog {
    /// The mirror of `remoteURI` for `ownerID`, made on first use.
    static func ensureLibrary(remoteURI: String, name: String, ownerID: Int64, on db: any SQLDatabase) async throws -> LibraryRecord {
        if let found = try await db.raw(
            "SELECT * FROM libraries WHERE remote_uri = \(bind: remoteURI) AND owner_id = \(bind: ownerID)"
        ).first() {
            return try LibraryRecord(row: found)
        }
        let library = try await Libraries.create(
            name: String(name.prefix(100)), ownerID: ownerID, visibility: .private, kind: .remote, on: db)
        try await db.raw("UPDATE libraries SET remote_uri = \(bind: remoteURI) WHERE id = \(bind: library.id)").run()
        // Files need a folder; a remote library's is a name, never a directory anyone scans.
        try await db.raw(
            """
            INSERT INTO library_folders (library_id, path, created_at)
            VALUES (\(bind: library.id), \(bind: "remote:\(library.id)"), \(bind: Clock.nowMillis()))
            """
        ).run()
        return library
    }

    /// Every local mirror of a remote library.
    static func mirrors(of remoteURI: String, on db: any SQLDatabase) async throws -> [LibraryRecord] {
        try await db.raw("SELECT * FROM libraries WHERE remote_uri = \(bind: remoteURI) ORDER BY id").all().map(LibraryRecord.init(row:))
    }

    /// Adds or updates audio in mirrors (in the caller's transaction). All are written before
    /// the catalog version moves and albums are announced, the order every catalog writer keeps.
    static func upsert(_ items: [RemoteAudio], into libraries: [LibraryRecord], settings: Settings, on db: any SQLDatabase) async throws {
        try await upsert(libraries.map { ($0, items) }, settings: settings, on: db)
    }

    /// Different audio into each mirror, the same way.
    static func upsert(_ batches: [(library: LibraryRecord, items: [RemoteAudio])], settings: Settings, on db: any SQLDatabase) async throws {
        var writers: [CatalogWriter] = []
        for (library, items) in batches where library.kind == .remote {
            var seen = Set<String>()
            let unique = items.filter { seen.insert($0.uri).inserted }  // a page naming one audio twice
            guard !unique.isEmpty else { continue }
            if let writer = try await write(unique, into: library, settings: settings, on: db) { writers.append(writer) }
        }
        guard !writers.isEmpty else { return }
        try await CatalogCache.bump(on: db)
        for writer in writers { try await writer.announceNewAlbums(on: db) }
    }

    private static func write(
        _ items: [RemoteAudio], into library: LibraryRecord, settings: Settings, on db: any SQLDatabase
    ) async throws
        -> CatalogWriter?
    {
        guard let folder = try await Libraries.folders(libraryID: library.id, on: db).first else { return nil }
        let writer = CatalogWriter(libraryID: library.id, folderID: folder.id)
        var rewrote = false
        var written: [RemoteAudio] = []
        for item in items {
            let known = try await db.raw(
                """
                SELECT f.id, f.size, f.mtime, f.track_id FROM remote_files r JOIN files f ON f.id = r.file_id
                WHERE r.library_id = \(bind: library.id) AND r.audio_uri = \(bind: item.uri)
                """
            ).first()
            var target: LibraryScanner.Known?
            if let known {
                let mtime = try known.decode(column: "mtime", as: Int64.self)
                // Told again, or told late (a page read before an Update): what we have stands.
                if item.updatedMillis <= mtime { continue }
                target = LibraryScanner.Known(
                    id: try known.decode(column: "id", as: Int64.self), size: try known.decode(column: "size", as: Int64.self), mtime: mtime,
                    hash: nil, trackID: try known.decode(column: "track_id", as: Int64?.self), status: "imported", error: nil)
                rewrote = true
            }
            let read = LibraryScanner.Read(
                entry: DirectoryWalker.Entry(path: item.uri, size: item.size, mtimeMillis: item.updatedMillis), tags: item.tags,
                error: nil, hash: nil)
            try await LibraryScanner.write(
                read, target: target, library: library, folder: folder, walk: .init(), writer: writer, settings: settings, on: db)
            written.append(item)
        }
        guard !written.isEmpty else { return nil }
        try await writer.flush(on: db)
        for item in written {
            try await db.raw(
                """
                INSERT INTO remote_files (file_id, library_id, audio_uri, stream_url, media_type, track_uri, album_uri, document)
                SELECT id, library_id, \(bind: item.uri), \(bind: item.streamURL), \(bind: item.mediaType), \(bind: item.trackURI),
                    \(bind: item.albumURI), \(bind: item.document) FROM files
                WHERE folder_id = \(bind: folder.id) AND path = \(bind: item.uri)
                ON CONFLICT (library_id, audio_uri) DO UPDATE SET stream_url = excluded.stream_url, media_type = excluded.media_type,
                    track_uri = excluded.track_uri, album_uri = excluded.album_uri, document = excluded.document
                """
            ).run()
        }
        // A retitled track or a renamed album leaves the old one empty.
        if rewrote { try await CatalogWriter.pruneOrphans(libraryID: library.id, on: db) }
        return writer
    }

    /// The Audio objects (as last received) in the given mirrors that belong to a track or album
    /// with this id, or credit an artist with it.
    static func documents(
        naming uri: String, inLibraries libraries: [Int64], on db: any SQLDatabase
    ) async throws -> [(
        library: Int64, document: String
    )] {
        guard !libraries.isEmpty else { return [] }
        let quoted = "%\"" + uri.replacingOccurrences(of: "%", with: "").replacingOccurrences(of: "_", with: "") + "\"%"
        return try await db.raw(
            """
            SELECT library_id, document FROM remote_files WHERE library_id IN (\(SQLList(libraries.map { SQLBind($0) })))
            AND (track_uri = \(bind: uri) OR album_uri = \(bind: uri) OR document LIKE \(bind: quoted))
            ORDER BY file_id LIMIT 10000
            """
        ).all().map { (try $0.decode(column: "library_id", as: Int64.self), try $0.decode(column: "document", as: String.self)) }
    }

    /// Removes audio from the given mirrors (those whose remote owner sent the Delete: no one
    /// removes what another owns, even on the same domain).
    @discardableResult
    static func remove(audioURIs: [String], fromLibraries libraries: [Int64], on db: any SQLDatabase) async throws -> Int {
        guard !audioURIs.isEmpty, !libraries.isEmpty else { return 0 }
        var removed = 0
        for chunk in audioURIs.chunked(200) {
            let ids = try await db.raw(
                """
                SELECT file_id, library_id FROM remote_files WHERE library_id IN (\(SQLList(libraries.map { SQLBind($0) })))
                AND (audio_uri IN (\(SQLList(chunk.map { SQLBind($0) }))) OR track_uri IN (\(SQLList(chunk.map { SQLBind($0) })))
                    OR album_uri IN (\(SQLList(chunk.map { SQLBind($0) }))))
                """
            ).all().map { (try $0.decode(column: "file_id", as: Int64.self), try $0.decode(column: "library_id", as: Int64.self)) }
            guard !ids.isEmpty else { continue }
            try await db.raw("DELETE FROM files WHERE id IN (\(SQLList(ids.map { SQLBind($0.0) })))").run()
            removed += ids.count
        }
        if removed > 0 {
            for library in libraries { try await CatalogWriter.pruneOrphans(libraryID: library, on: db) }
            try await CatalogCache.bump(on: db)
        }
        return removed
    }

    /// Drops a mirror and everything in it (the follow ended), a few thousand files per
    /// transaction so a large one never holds the writers up; run again, it carries on.
    static func deleteLibrary(_ id: Int64, on database: any Database) async throws {
        guard let library = try await Libraries.find(id: id, on: database.sql), library.kind == .remote else { return }
        while true {
            let more = try await database.writeTransaction { tx -> Bool in
                let db = tx.sql
                let batch = try await db.raw("SELECT id FROM files WHERE library_id = \(bind: id) ORDER BY id LIMIT 2000").all()
                    .map { try $0.decode(column: "id", as: Int64.self) }
                guard !batch.isEmpty else {
                    try await CatalogWriter.pruneOrphans(libraryID: id, on: db)
                    try await db.raw("DELETE FROM libraries WHERE id = \(bind: id)").run()
                    try await CatalogCache.bump(on: db)
                    return false
                }
                try await db.raw("DELETE FROM files WHERE id IN (\(SQLList(batch.map { SQLBind($0) })))").run()
                return true
            }
            if !more { return }
        }
    }

    /// Where a remote file's bytes are, with the library's owner (whose key fetches them).
    static func source(fileID: Int64, on db: any SQLDatabase) async throws -> (streamURL: String, mediaType: String, size: Int64, ownerID: Int64?)? {
        guard
            let row = try await db.raw(
                """
                SELECT r.stream_url, r.media_type, f.size, l.owner_id FROM remote_files r JOIN files f ON f.id = r.file_id
                JOIN libraries l ON l.id = r.library_id WHERE r.file_id = \(bind: fileID)
                """
            ).first()
        else { return nil }
        return (
            try row.decode(column: "stream_url", as: String.self), try row.decode(column: "media_type", as: String.self),
            try row.decode(column: "size", as: Int64.self), try row.decode(column: "owner_id", as: Int64?.self)
        )
    }
}

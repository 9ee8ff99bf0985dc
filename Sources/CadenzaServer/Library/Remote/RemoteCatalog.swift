import CadenzaTags
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

    static func remoteURI(ofLibrary id: Int64, on db: any SQLDatabase) async throws -> String? {
        try await db.raw("SELECT remote_uri FROM libraries WHERE id = \(bind: id)").first()?.decode(column: "remote_uri", as: String?.self)
    }

    /// Adds or updates audio in a mirror (one transaction: the caller's).
    static func upsert(_ items: [RemoteAudio], into library: LibraryRecord, settings: Settings, on db: any SQLDatabase) async throws {
        guard library.kind == .remote, !items.isEmpty else { return }
        guard let folder = try await Libraries.folders(libraryID: library.id, on: db).first else { return }
        let writer = CatalogWriter(libraryID: library.id, folderID: folder.id)
        for item in items {
            let known = try await db.raw(
                """
                SELECT f.id, f.size, f.mtime, f.content_hash, f.track_id FROM remote_files r JOIN files f ON f.id = r.file_id
                WHERE r.library_id = \(bind: library.id) AND r.audio_uri = \(bind: item.uri)
                """
            ).first()
            var target: LibraryScanner.Known?
            if let known {
                let mtime = try known.decode(column: "mtime", as: Int64.self)
                if mtime == item.updatedMillis { continue }  // told again what we have
                target = LibraryScanner.Known(
                    id: try known.decode(column: "id", as: Int64.self), size: try known.decode(column: "size", as: Int64.self), mtime: mtime,
                    hash: nil, trackID: try known.decode(column: "track_id", as: Int64?.self), status: "imported", error: nil)
            }
            let read = LibraryScanner.Read(
                entry: DirectoryWalker.Entry(path: item.uri, size: item.size, mtimeMillis: item.updatedMillis), tags: item.tags,
                error: nil, hash: nil)
            try await LibraryScanner.write(
                read, target: target, library: library, folder: folder, walk: .init(), writer: writer, settings: settings, on: db)
        }
        try await writer.flush(on: db)
        for item in items {
            try await db.raw(
                """
                INSERT INTO remote_files (file_id, library_id, audio_uri, stream_url, media_type)
                SELECT id, library_id, \(bind: item.uri), \(bind: item.streamURL), \(bind: item.mediaType) FROM files
                WHERE folder_id = \(bind: folder.id) AND path = \(bind: item.uri)
                ON CONFLICT (library_id, audio_uri) DO UPDATE SET stream_url = excluded.stream_url, media_type = excluded.media_type
                """
            ).run()
        }
        try await CatalogCache.bump(on: db)
        try await writer.announceNewAlbums(on: db)
    }

    /// Removes audio from every mirror whose remote library is on `authority` (a Delete names
    /// only the audio; one domain cannot delete another's).
    @discardableResult
    static func remove(audioURIs: [String], authority: String, on db: any SQLDatabase) async throws -> Int {
        guard !audioURIs.isEmpty else { return 0 }
        var removed = 0
        for chunk in audioURIs.chunked(200) {
            let ids = try await db.raw(
                """
                SELECT r.file_id, r.library_id, l.remote_uri FROM remote_files r JOIN libraries l ON l.id = r.library_id
                WHERE r.audio_uri IN (\(SQLList(chunk.map { SQLBind($0) })))
                """
            ).all().compactMap { row -> (Int64, Int64)? in
                guard let remote = try row.decode(column: "remote_uri", as: String?.self), OutboundAddress.authority(of: remote) == authority else {
                    return nil
                }
                return (try row.decode(column: "file_id", as: Int64.self), try row.decode(column: "library_id", as: Int64.self))
            }
            guard !ids.isEmpty else { continue }
            try await db.raw("DELETE FROM files WHERE id IN (\(SQLList(ids.map { SQLBind($0.0) })))").run()
            for library in Set(ids.map(\.1)) { try await CatalogWriter.pruneOrphans(libraryID: library, on: db) }
            removed += ids.count
        }
        if removed > 0 { try await CatalogCache.bump(on: db) }
        return removed
    }

    /// Drops a mirror and everything in it (the follow ended).
    static func deleteLibrary(_ id: Int64, on db: any SQLDatabase) async throws {
        guard try await remoteURI(ofLibrary: id, on: db) != nil else { return }
        try await db.raw("DELETE FROM files WHERE library_id = \(bind: id)").run()
        try await CatalogWriter.pruneOrphans(libraryID: id, on: db)
        try await db.raw("DELETE FROM libraries WHERE id = \(bind: id)").run()
        try await CatalogCache.bump(on: db)
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

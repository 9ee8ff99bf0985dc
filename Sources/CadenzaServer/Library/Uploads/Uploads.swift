import CadenzaTags
import Fluent
import Foundation
import MultipartKit
import NIOConcurrencyHelpers
import SQLKit
import Vapor

/// `POST /api/v1/uploads`: multipart files streamed to disk (never held in memory), checked by
/// content, stored under a generated name in the library's upload folder, imported by a job.
enum Uploads {
    static let importKind = "library.import"
    static let maxFilesPerRequest = 200

    struct FileResult: Content {
        var name: String
        /// pending (queued for import), duplicate, or rejected.
        var status: String
        var fileId: String?
        var reason: String?
    }

    struct UploadResponse: Content {
        var libraryId: String
        var files: [FileResult]
    }

    struct ImportPayload: Codable {
        var fileId: Int64
    }

    static let directoryName = "uploads"

    static func uploadRoot(_ settings: Settings) -> URL {
        settings.mediaDirectory.appendingPathComponent(directoryName, isDirectory: true)
    }

    /// Every upload library has exactly one folder: `<data>/uploads/<library id>`.
    static func ensureFolder(for library: LibraryRecord, settings: Settings, on db: any SQLDatabase) async throws -> LibraryFolderRecord {
        let dir = uploadRoot(settings).appendingPathComponent(String(library.id), isDirectory: true)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return try await Libraries.addFolder(libraryID: library.id, path: dir.path, on: db)
    }

    /// The library an upload goes to: the one named, if the caller manages it, else their own "Uploads".
    static func targetLibrary(_ req: Request, viewer: Principal) async throws -> LibraryRecord {
        if let id = try req.optionalQueryInt64("library") {
            guard let library = try await Libraries.find(id: id, on: req.sql), library.isVisible(to: viewer) else {
                throw APIError.notFound("Library")
            }
            guard library.isManageable(by: viewer) else { throw APIError.forbidden("You can only upload into your own libraries.") }
            guard library.kind == .uploads else { throw APIError.conflict("That library reads a folder; upload into an upload library.") }
            return library
        }
        // Check and create under the user's row lock (SQLite: the write lock), so two first uploads
        // at once make one library, not two.
        return try await req.db.writeTransaction { tx in
            if tx.sql.isPostgres { try await tx.sql.raw("SELECT id FROM users WHERE id = \(bind: viewer.userID) FOR UPDATE").run() }
            if let row = try await tx.sql.raw(
                """
                SELECT * FROM libraries WHERE owner_id = \(bind: viewer.userID) AND kind = 'uploads' ORDER BY id LIMIT 1
                """
            ).first() {
                return try LibraryRecord(row: row)
            }
            return try await Libraries.create(
                name: "\(viewer.username)'s uploads", ownerID: viewer.userID, visibility: .private,
                kind: .uploads, on: tx.sql)
        }
    }

    @Sendable static func upload(req: Request) async throws -> Response {
        let viewer = try req.requireUser()
        let boundary = try MultipartSink.boundary(of: req)
        let settings = try req.application.settings
        let library = try await targetLibrary(req, viewer: viewer)
        let folder = try await ensureFolder(for: library, settings: settings, on: req.sql)
        let incoming = uploadRoot(settings).appendingPathComponent(".incoming", isDirectory: true)
        let sink = try await MultipartSink.receive(
            req, boundary: boundary, directory: incoming, maxParts: maxFilesPerRequest,
            maxBytes: settings.maxUploadBytes)
        defer { sink.discardAll() }
        let parts = sink.completedFiles()
        guard !parts.isEmpty else { throw APIError.badRequest("No files in the upload; send them as file fields.", code: "no_files") }

        var results: [FileResult] = []
        for part in parts {
            results.append(try await store(part, library: library, folder: folder, uploader: viewer, req: req))
        }
        let response = Response(status: .created)
        try response.content.encode(UploadResponse(libraryId: String(library.id), files: results))
        return response
    }

    static func store(
        _ part: MultipartSink.Part, library: LibraryRecord, folder: LibraryFolderRecord, uploader: Principal,
        req: Request
    ) async throws -> FileResult {
        let name = String(part.filename.split(separator: "/").last ?? "upload").prefix(255)
        guard part.size > 0 else { return FileResult(name: String(name), status: "rejected", reason: "the file is empty") }
        guard let kind = AudioSniffer.detect(part.header) else {
            return FileResult(name: String(name), status: "rejected", reason: "not an audio file (checked by content, not by name)")
        }
        let hash = Fingerprint.of(path: part.url.path)
        if let hash,
            let existing = try await req.sql.raw(
                """
                SELECT id FROM files WHERE library_id = \(bind: library.id) AND content_hash = \(bind: hash) LIMIT 1
                """
            ).first()?.decode(column: "id", as: Int64.self)
        {
            return FileResult(name: String(name), status: "duplicate", fileId: String(existing), reason: "already in this library")
        }
        let stored = "\(UUID().uuidString.lowercased()).\(kind.fileExtension)"
        let target = URL(fileURLWithPath: folder.path).appendingPathComponent(stored)
        try FileManager.default.moveItem(at: part.url, to: target)
        let attributes = try? FileManager.default.attributesOfItem(atPath: target.path)
        let mtime = ((attributes?[.modificationDate] as? Date) ?? Date()).timeIntervalSince1970
        let now = Clock.nowMillis()
        do {
            let id: Int64 = try await req.db.writeTransaction { tx in
                let sql = tx.sql
                let row = try await sql.raw(
                    """
                    INSERT INTO files (library_id, folder_id, path, size, mtime, content_hash, status, original_name, uploader_id, created_at, updated_at)
                    VALUES (\(bind: library.id), \(bind: folder.id), \(bind: stored), \(bind: part.size), \(bind: Int64(mtime * 1000)), \(bind: hash),
                            'pending', \(bind: String(name)), \(bind: uploader.userID), \(bind: now), \(bind: now))
                    RETURNING id
                    """
                ).first()
                let id = try row?.decode(column: "id", as: Int64.self) ?? 0
                try await JobQueue.enqueue(.init(kind: importKind, payload: ImportPayload(fileId: id), priority: 10, maxAttempts: 3), on: sql)
                return id
            }
            return FileResult(name: String(name), status: "pending", fileId: String(id))
        } catch {
            try? FileManager.default.removeItem(at: target)
            throw error
        }
    }

    // MARK: import job

    static func register(on jobs: JobRegistry) {
        jobs.register(importKind, backoff: Backoff(base: 5, cap: 300)) { context in
            let payload = try context.job.decodePayload(ImportPayload.self)
            try await importFile(id: payload.fileId, context: context)
        }
    }

    static func importFile(id: Int64, context: JobContext) async throws {
        guard
            let row = try await context.db.raw(
                """
                SELECT f.*, lf.path AS root FROM files f JOIN library_folders lf ON lf.id = f.folder_id WHERE f.id = \(bind: id)
                """
            ).first()
        else { return }  // deleted since: nothing to do
        let libraryID = try row.decode(column: "library_id", as: Int64.self)
        let folderID = try row.decode(column: "folder_id", as: Int64.self)
        let relative = try row.decode(column: "path", as: String.self)
        let uploader = try row.decode(column: "uploader_id", as: Int64?.self)
        let original = try row.decode(column: "original_name", as: String?.self) ?? relative
        guard let library = try await Libraries.find(id: libraryID, on: context.db),
            let folder = try await Libraries.folder(id: folderID, on: context.db),
            let path = SafePath.join(root: try row.decode(column: "root", as: String.self), relative: relative)
        else { return }
        let entry = DirectoryWalker.Entry(
            path: relative, size: try row.decode(column: "size", as: Int64.self),
            mtimeMillis: try row.decode(column: "mtime", as: Int64.self))
        let read = await runBlocking { () -> LibraryScanner.Read in
            do { return LibraryScanner.Read(entry: entry, tags: try TagReader.read(path: path), error: nil, hash: Fingerprint.of(path: path)) } catch
            {
                return LibraryScanner.Read(entry: entry, tags: nil, error: "\(error)", hash: Fingerprint.of(path: path))
            }
        }
        let known = LibraryScanner.Known(
            id: id, size: entry.size, mtime: entry.mtimeMillis, hash: read.hash,
            trackID: try row.decode(column: "track_id", as: Int64?.self), status: "pending", error: nil)
        try await context.database.writeTransaction { tx in
            let sql = tx.sql
            let writer = CatalogWriter(libraryID: libraryID, folderID: folderID)
            try await LibraryScanner.write(
                read, target: known, library: library, folder: folder, walk: .init(), writer: writer,
                settings: context.settings, on: sql)
            try await writer.flush(on: sql)
            try await CatalogCache.bump(on: sql)
            try await writer.announceNewAlbums(on: sql)
            let trackID = try await sql.raw("SELECT track_id FROM files WHERE id = \(bind: id)").first()?.decode(column: "track_id", as: Int64?.self)
            try await EventStore.append(
                read.tags == nil ? LibraryEvents.uploadFailed : LibraryEvents.uploadImported,
                payload: .init(
                    fileId: String(id), name: original, libraryId: String(libraryID), trackId: trackID.map(String.init), error: read.error),
                actorID: uploader, subjectID: String(id), audienceUserID: uploader, on: sql)
            try await LibraryEvents.appendCatalogChanged(libraryID: libraryID, on: sql)
            _ = try await context.complete(on: sql)
        }
    }
}

/// Collects multipart file parts into temporary files as the bytes arrive.
/// Unchecked Sendable: the parser calls it from the one task reading the request body.
final class MultipartSink: @unchecked Sendable {
    /// The multipart boundary of a `multipart/form-data` request, or 415.
    static func boundary(of req: Request) throws -> String {
        guard let type = req.headers.contentType, type.type == "multipart", type.subType == "form-data",
            let boundary = type.parameters["boundary"], !boundary.isEmpty, boundary.count <= 200
        else {
            throw APIError(status: .unsupportedMediaType, code: "unsupported_media_type", message: "Send the files as multipart/form-data.")
        }
        return boundary
    }

    /// Streams a multipart body's files into `directory`, never holding them in memory. File
    /// bytes are written off the event loops, a megabyte at a time; a part's headers may not run
    /// past `maxHeaderBytes` (a header that never ends would be searched again with every chunk).
    static func receive(_ req: Request, boundary: String, directory: URL, maxParts: Int, maxBytes: Int) async throws -> MultipartSink {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let sink = MultipartSink(directory: directory, maxParts: maxParts)
        let parser = MultipartParser(boundary: boundary)
        parser.onHeader = { sink.header(name: $0, value: $1) }
        parser.onBody = { sink.body(&$0) }
        parser.onPartComplete = { sink.partComplete() }
        var received = 0
        var sinceProgress = 0
        do {
            for try await chunk in req.body {
                received += chunk.readableBytes
                if received > maxBytes {
                    throw APIError(
                        status: .payloadTooLarge, code: "payload_too_large",
                        message: "Uploads are limited to \(maxBytes) bytes per request.")
                }
                let before = sink.progress
                try parser.execute(chunk)
                sinceProgress = sink.progress == before ? sinceProgress + chunk.readableBytes : 0
                if sinceProgress > maxHeaderBytes { throw APIError.badRequest("A multipart header is too long.", code: "invalid_body") }
                if let problem = sink.problem { throw sink.refusal(problem) }
                if sink.pendingBytes >= 1 << 20 || sink.hasPendingClose { try await sink.flush() }
            }
            try await sink.flush()
            if let problem = sink.problem { throw sink.refusal(problem) }
        } catch let error as APIError {
            sink.discardAll()
            throw error
        } catch {
            sink.discardAll()
            throw APIError.badRequest("The multipart body is malformed.", code: "invalid_body")
        }
        return sink
    }

    static let maxHeaderBytes = 16 * 1024
    static let maxFields = 32

    struct Part {
        var filename: String
        var url: URL
        var size: Int64
        var header: [UInt8]
    }

    private let directory: URL
    private let maxParts: Int
    private var headers: [String: String] = [:]
    private var current: (handle: FileHandle, part: Part)?
    private var finished: [Part] = []
    private var created: [URL] = []
    private(set) var problem: String?
    /// The problem is ours (a file could not be created or written: the disk is full), not the request's.
    private(set) var storageFailed = false

    /// The request's problem is a 400; ours is a 507 the client may retry later when the disk is
    /// full, else a 500 (a folder the server may not write: its operator must look).
    func refusal(_ problem: String) -> APIError {
        guard storageFailed else { return APIError.badRequest(problem) }
        let free = (try? FileManager.default.attributesOfFileSystem(forPath: directory.path))?[.systemFreeSize] as? NSNumber
        guard let free, free.int64Value < 64 << 20 else {
            return APIError(status: .internalServerError, code: "internal", message: problem)
        }
        let trouble = ServerTrouble.diskFull
        return APIError(status: trouble.status, code: trouble.code, message: trouble.message, headers: trouble.headers)
    }

    init(directory: URL, maxParts: Int) {
        self.directory = directory
        self.maxParts = maxParts
    }

    /// Counts parser callbacks: bytes that produce none are a header still being read.
    private(set) var progress = 0
    private enum Pending {
        case write(FileHandle, [UInt8])
        case close(FileHandle)
    }
    private var pending: [Pending] = []
    private(set) var pendingBytes = 0
    var hasPendingClose: Bool { pending.contains { if case .close = $0 { return true } else { return false } } }

    func header(name: String, value: String) {
        progress += 1
        headers[name.lowercased()] = value
    }

    func body(_ buffer: inout ByteBuffer) {
        progress += 1
        guard problem == nil else { return }
        if current == nil {
            guard let filename = Self.filename(headers["content-disposition"]) else {
                // A plain form field: kept when small (options sent along with the files), and only a few of them.
                if let name = Self.fieldName(headers["content-disposition"]), name.utf8.count <= 100,
                    fieldBytes[name] != nil || fieldBytes.count < MultipartSink.maxFields,
                    fieldBytes[name, default: []].count < 1024
                {
                    fieldBytes[name, default: []] += (buffer.readBytes(length: buffer.readableBytes) ?? []).prefix(1024)
                }
                return
            }
            guard finished.count < maxParts else {
                problem = "At most \(maxParts) files per upload."
                return
            }
            let url = directory.appendingPathComponent(UUID().uuidString)
            guard FileManager.default.createFile(atPath: url.path, contents: nil), let handle = try? FileHandle(forWritingTo: url) else {
                problem = "The server could not store the upload."
                storageFailed = true
                return
            }
            created.append(url)
            current = (handle, Part(filename: filename, url: url, size: 0, header: []))
        }
        guard var open = current else { return }
        let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        if open.part.header.count < 64 { open.part.header += bytes.prefix(64 - open.part.header.count) }
        open.part.size += Int64(bytes.count)
        if case .write(let handle, let earlier)? = pending.last, handle === open.handle {
            pending[pending.count - 1] = .write(handle, earlier + bytes)
        } else {
            pending.append(.write(open.handle, bytes))
        }
        pendingBytes += bytes.count
        current = open
    }

    func partComplete() {
        progress += 1
        if let open = current {
            pending.append(.close(open.handle))
            finished.append(open.part)
        } else if let filename = Self.filename(headers["content-disposition"]) {
            // A file part with no bytes at all.
            finished.append(Part(filename: filename, url: directory.appendingPathComponent(UUID().uuidString), size: 0, header: []))
        }
        current = nil
        headers = [:]
    }

    /// Writes (and closes) what the parser handed over, on a blocking thread.
    func flush() async throws {
        guard !pending.isEmpty else { return }
        let work = pending
        pending = []
        pendingBytes = 0
        let failed = await runBlocking { () -> Bool in
            var failed = false
            for item in work {
                switch item {
                case .write(let handle, let bytes): if !failed { failed = (try? handle.write(contentsOf: bytes)) == nil }
                case .close(let handle): try? handle.close()
                }
            }
            return failed
        }
        if failed {
            problem = "The server could not store the upload."
            storageFailed = true
        }
    }

    func completedFiles() -> [Part] { finished }

    /// Small plain form fields sent with the files.
    var fields: [String: String] { fieldBytes.mapValues { String(decoding: $0, as: UTF8.self) } }
    private var fieldBytes: [String: [UInt8]] = [:]

    static func fieldName(_ disposition: String?) -> String? {
        guard let disposition else { return nil }
        for piece in disposition.split(separator: ";") {
            let trimmed = piece.trimmingCharacters(in: .whitespaces)
            if trimmed.lowercased().hasPrefix("name=") {
                let value = String(trimmed.dropFirst("name=".count))
                let quoted = value.count >= 2 && value.hasPrefix("\"") && value.hasSuffix("\"")
                return quoted ? String(value.dropFirst().dropLast()) : value
            }
        }
        return nil
    }

    /// Removes whatever was not moved into a library (unlinking is cheap enough for a defer).
    func discardAll() {
        if let open = current { try? open.handle.close() }
        pending = []
        for url in created where FileManager.default.fileExists(atPath: url.path) {
            try? FileManager.default.removeItem(at: url)
        }
    }

    static func filename(_ disposition: String?) -> String? {
        guard let disposition else { return nil }
        for piece in disposition.split(separator: ";") {
            let trimmed = piece.trimmingCharacters(in: .whitespaces)
            if trimmed.lowercased().hasPrefix("filename=") {
                var value = String(trimmed.dropFirst("filename=".count))
                if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
                return value.isEmpty ? "upload" : value
            }
        }
        return nil
    }
}

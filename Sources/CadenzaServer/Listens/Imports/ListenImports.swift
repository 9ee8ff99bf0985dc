import Fluent
import Foundation
import SQLKit
import Vapor

/// `POST /api/v1/me/listens/imports`: a history file streamed to disk and imported by a job, in
/// batches of 1,000 that each commit with the import's progress — so a worker killed mid-way
/// resumes where it stopped, and importing the same file again adds nothing.
enum ListenImports {
    static let jobKind = "listens.import"
    static let batchSize = 1000

    struct ImportDTO: Content {
        var id: String
        var state: String
        var format: String
        var imported: Int64
        var duplicates: Int64
        var skipped: Int64
        var error: String?
        var createdAt: Date
    }

    struct Payload: Codable {
        var importId: Int64
    }

    static let directoryName = "imports"

    static func directory(_ settings: Settings) -> URL {
        settings.mediaDirectory.appendingPathComponent(directoryName, isDirectory: true)
    }

    @Sendable static func create(req: Request) async throws -> Response {
        let viewer = try req.requireUser()
        let boundary = try MultipartSink.boundary(of: req)
        let settings = try req.application.settings
        let sink = try await MultipartSink.receive(
            req, boundary: boundary, directory: directory(settings).appendingPathComponent(".incoming"),
            maxParts: 1, maxBytes: settings.maxUploadBytes)
        defer { sink.discardAll() }
        guard let part = sink.completedFiles().first, part.size > 0 else {
            throw APIError.badRequest("Send the history file as the multipart field \"file\".", code: "no_file")
        }
        let requested = req.query[String.self, at: "format"] ?? sink.fields["format"].map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        let format: ListenImportFormat
        if let requested, !requested.isEmpty {
            guard let chosen = ListenImportFormat(rawValue: requested) else {
                throw APIError.unprocessable("format must be listenbrainz, lastfm_csv or maloja.", code: "invalid_format")
            }
            format = chosen
        } else {
            let handle = try FileHandle(forReadingFrom: part.url)
            let head = try handle.read(upToCount: 4096) ?? Data()
            try handle.close()
            guard let sniffed = ListenImportFormat.sniff(Array(head)) else {
                throw APIError.unprocessable("The file is not a listening history this server can read.", code: "invalid_format")
            }
            format = sniffed
        }
        let stored = directory(settings).appendingPathComponent(UUID().uuidString)
        try FileManager.default.moveItem(at: part.url, to: stored)
        let now = Clock.nowMillis()
        let id: Int64
        do {
            id = try await req.db.writeTransaction { tx in
                let row = try await tx.sql.raw(
                    """
                    INSERT INTO listen_imports (user_id, format, state, file_path, created_at, updated_at)
                    VALUES (\(bind: viewer.userID), \(bind: format.rawValue), 'queued', \(bind: stored.lastPathComponent), \(bind: now), \(bind: now))
                    RETURNING id
                    """
                ).first()
                let id = try row?.decode(column: "id", as: Int64.self) ?? 0
                try await JobQueue.enqueue(try .init(kind: jobKind, payload: Payload(importId: id), maxAttempts: 3), on: tx.sql)
                return id
            }
        } catch {
            try? FileManager.default.removeItem(at: stored)
            throw error
        }
        let response = Response(status: .accepted)
        try response.content.encode(try await find(id: id, userID: viewer.userID, on: req.sql))
        return response
    }

    @Sendable static func show(req: Request) async throws -> ImportDTO {
        let viewer = try req.requireUser()
        guard let id = req.parameters.get("id").flatMap(Int64.init) else { throw APIError.notFound("Import") }
        return try await find(id: id, userID: viewer.userID, on: req.sql)
    }

    @Sendable static func list(req: Request) async throws -> [ImportDTO] {
        let viewer = try req.requireUser()
        return try await req.sql.raw(
            """
            SELECT * FROM listen_imports WHERE user_id = \(bind: viewer.userID) ORDER BY id DESC LIMIT 100
            """
        ).all().map(dto)
    }

    static func find(id: Int64, userID: Int64, on db: any SQLDatabase) async throws -> ImportDTO {
        guard let row = try await db.raw("SELECT * FROM listen_imports WHERE id = \(bind: id) AND user_id = \(bind: userID)").first() else {
            throw APIError.notFound("Import")
        }
        return try dto(row)
    }

    static func dto(_ row: any SQLRow) throws -> ImportDTO {
        ImportDTO(
            id: String(try row.decode(column: "id", as: Int64.self)), state: try row.decode(column: "state", as: String.self),
            format: try row.decode(column: "format", as: String.self), imported: try row.decode(column: "imported", as: Int64.self),
            duplicates: try row.decode(column: "duplicates", as: Int64.self), skipped: try row.decode(column: "skipped", as: Int64.self),
            error: try row.decode(column: "error", as: String?.self),
            createdAt: Clock.date(try row.decode(column: "created_at", as: Int64.self)))
    }

    /// Files no live import needs: half-received uploads, unpacked archives of a job that died,
    /// and the stored files of imports that failed or whose row is gone.
    static func sweep(context: JobContext) async throws {
        var live: Set<String> = [".incoming"]
        for row in try await context.db.raw("SELECT id, file_path FROM listen_imports WHERE state IN ('queued', 'running')").all() {
            live.insert(try row.decode(column: "file_path", as: String.self))
            live.insert("unpacked-\(try row.decode(column: "id", as: Int64.self))")
        }
        let root = directory(context.settings), keep = live
        await runBlocking {
            StaleFiles.sweep(root.appendingPathComponent(".incoming"), olderThan: 6 * 3600)
            StaleFiles.sweep(root, olderThan: 3600) { keep.contains($0) }
        }
    }

    static func register(on jobs: JobRegistry) {
        jobs.register(jobKind, backoff: Backoff(base: 5, cap: 600)) { context in
            let payload = try context.job.decodePayload(Payload.self)
            do {
                try await run(importID: payload.importId, context: context)
            } catch {
                if context.job.attempts >= context.job.maxAttempts || error is PermanentJobError {
                    try await finish(importID: payload.importId, state: "failed", error: "\(error)", context: context)
                }
                throw error
            }
        }
    }

    typealias Progress = ListensEvents.ImportProgress

    static func run(importID: Int64, context: JobContext) async throws {
        guard let row = try await context.db.raw("SELECT * FROM listen_imports WHERE id = \(bind: importID)").first() else {
            _ = try await context.complete(on: context.db)
            return
        }
        let state = try row.decode(column: "state", as: String.self)
        guard state == "queued" || state == "running" else {
            _ = try await context.complete(on: context.db)
            return
        }
        let userID = try row.decode(column: "user_id", as: Int64.self)
        guard let owner = try await ListenOwner.load(userID: userID, on: context.db),
            let format = ListenImportFormat(rawValue: try row.decode(column: "format", as: String.self))
        else {
            throw PermanentJobError("the import's user or format is gone")
        }
        let file = directory(context.settings).appendingPathComponent(try row.decode(column: "file_path", as: String.self))
        let scratch = directory(context.settings).appendingPathComponent("unpacked-\(importID)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        try await context.db.raw("UPDATE listen_imports SET state = 'running', updated_at = \(bind: Clock.nowMillis()) WHERE id = \(bind: importID)")
            .run()
        var position = Int(try row.decode(column: "position", as: Int64.self))
        let limit = try context.settings.listens.importMaxUnpackedBytes, resumeAt = position
        // Read a batch at a time off the event loops: a history of any length never sits in memory whole.
        func reading<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
            do { return try await runBlockingThrowing(work) } catch {
                throw PermanentJobError("the file could not be read as \(format.rawValue): \(error)")
            }
        }
        let source = try await reading {
            let source = try ListenImportReader.source(file: file, format: format, scratch: scratch, maxUnpackedBytes: limit)
            try source.skip(resumeAt)
            return source
        }
        var totals = (
            imported: try row.decode(column: "imported", as: Int64.self),
            duplicates: try row.decode(column: "duplicates", as: Int64.self),
            skipped: try row.decode(column: "skipped", as: Int64.self)
        )
        while case let batch = try await reading({ try source.next(batchSize) }), !batch.isEmpty {
            var listens: [IncomingListen] = []
            var skipped: Int64 = 0
            for entry in batch {
                switch entry {
                case .listen(let listen): listens.append(listen)
                case .skipped: skipped += 1
                }
            }
            let end = position + batch.count
            let current = totals, batchListens = listens, batchSkipped = skipped
            totals = try await context.database.writeTransaction { tx in
                let outcome = try await ListenStore.ingest(batchListens, owner: owner, source: "import", on: tx.sql)
                let next = (
                    current.imported + Int64(outcome.inserted), current.duplicates + Int64(outcome.duplicates), current.skipped + batchSkipped
                )
                try await tx.sql.raw(
                    """
                    UPDATE listen_imports SET imported = \(bind: next.0), duplicates = \(bind: next.1), skipped = \(bind: next.2),
                      position = \(bind: end), updated_at = \(bind: Clock.nowMillis()) WHERE id = \(bind: importID)
                    """
                ).run()
                try await EventStore.append(
                    ListensEvents.importProgress,
                    payload: Progress(
                        importId: String(importID), state: "running", imported: next.0,
                        duplicates: next.1, skipped: next.2),
                    actorID: userID, subjectID: String(importID), audienceUserID: userID, on: tx.sql)
                return next
            }
            position = end
        }
        try await finish(importID: importID, state: "done", error: nil, context: context)
        try? FileManager.default.removeItem(at: file)
    }

    static func finish(importID: Int64, state: String, error: String?, context: JobContext) async throws {
        try await context.database.writeTransaction { tx in
            guard
                let row = try await tx.sql.raw(
                    """
                    UPDATE listen_imports SET state = \(bind: state), error = \(bind: error), updated_at = \(bind: Clock.nowMillis())
                    WHERE id = \(bind: importID) RETURNING user_id, imported, duplicates, skipped
                    """
                ).first()
            else { return }
            let userID = try row.decode(column: "user_id", as: Int64.self)
            try await EventStore.append(
                ListensEvents.importFinished,
                payload: Progress(
                    importId: String(importID), state: state,
                    imported: try row.decode(column: "imported", as: Int64.self),
                    duplicates: try row.decode(column: "duplicates", as: Int64.self),
                    skipped: try row.decode(column: "skipped", as: Int64.self), error: error),
                actorID: userID, subjectID: String(importID), audienceUserID: userID, on: tx.sql)
            if state == "done" { _ = try await context.complete(on: tx.sql) }
        }
    }
}

/// `GET /api/v1/me/listens/export`: every listen as JSON Lines in ListenBrainz's shape, streamed a
/// page at a time (importable here or into ListenBrainz).
enum ListenExport {
    @Sendable static func export(req: Request) async throws -> Response {
        let viewer = try req.requireUser()
        guard let owner = try await ListenOwner.load(userID: viewer.userID, on: req.sql) else { throw APIError.unauthorized() }
        let db = req.sql
        let response = Response(status: .ok)
        response.headers.contentType = HTTPMediaType(type: "application", subType: "x-ndjson")
        response.headers.replaceOrAdd(name: .contentDisposition, value: "attachment; filename=\"listens-\(owner.username).jsonl\"")
        let logger = req.logger
        response.body = .init(asyncStream: { writer in
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.withoutEscapingSlashes]
            var after: (Int64, String)?
            do {
                while true {
                    let page = try await ListenQueries.page(owner: owner, after: after, limit: 5000, on: db)
                    guard let last = page.last else { break }
                    var buffer = ByteBuffer()
                    for listen in page {
                        var line = listen
                        line.cadenza_track_id = nil
                        buffer.writeBytes(try encoder.encode(line))
                        buffer.writeString("\n")
                    }
                    try await writer.write(.buffer(buffer))
                    after = (last.listened_at ?? 0, last.track_metadata.track_name)
                    if page.count < 5000 { break }
                }
                try await writer.write(.end)
            } catch {
                logger.warning("listen export ended early", metadata: ["error": .string("\(error)")])
                try? await writer.write(.end)
            }
        })
        return response
    }
}

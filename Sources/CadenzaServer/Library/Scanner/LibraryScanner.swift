import CadenzaTags
import Dispatch
import Fluent
import Foundation
import SQLKit
import Vapor

/// The `library.scan` job: brings one folder's files into the catalog, reading only what changed.
enum LibraryScanner {
    static let jobKind = "library.scan"
    static let batchSize = 400

    struct Payload: Codable, Sendable {
        var folderId: Int64
        var full: Bool?
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    struct Summary: Codable, Sendable {
        var folderId: String
        var libraryId: String
        var seen = 0
        var added = 0
        var updated = 0
        var moved = 0
        var removed = 0
        var failed = 0
        var unchanged = 0
        var durationMs = 0
    }

    /// A file as it stands in the database before the scan.
    struct Known: Sendable {
        var id: Int64
        var size: Int64
        var mtime: Int64
        var hash: String?
        var trackID: Int64?
        var status: String
        var error: String?
    }

    /// The mutable state of one scan, handed into its transactions one at a time.
    final class State: @unchecked Sendable {
        var summary: Summary
        var known: [String: Known] = [:]
        var vanished: [String: Known] = [:]
        var vanishedByHash: [String: (path: String, known: Known)] = [:]
        init(summary: Summary) { self.summary = summary }
    }

    /// Result slots filled from many threads, each index by exactly one of them.
    struct Slots<T>: @unchecked Sendable {
        let buffer: UnsafeMutableBufferPointer<T?>
    }

    /// What reading one file produced.
    struct Read: Sendable {
        var entry: DirectoryWalker.Entry
        var tags: AudioTags?
        var error: String?
        var hash: String?
        /// The cover for this file's album, when the reading threads found one.
        var cover: Cover? = nil
    }

    static let rescanKind = "library.rescan"

    /// The scheduler's periodic rescan of every folder library (upload libraries change only by upload).
    static func periodic(_ settings: Settings) -> [PeriodicTask] {
        settings.rescanMinutes > 0 ? [.init(name: "rescan", interval: Double(settings.rescanMinutes) * 60, kind: rescanKind)] : []
    }

    static let sweepKind = "library.sweep"
    static let sweepTask = PeriodicTask(name: "library-sweep", interval: 3600, kind: sweepKind)

    /// What died with its process: half-received uploads, half-written transcodes and resizes.
    static func sweep(_ settings: Settings) async {
        await runBlocking {
            StaleFiles.sweep(Uploads.uploadRoot(settings).appendingPathComponent(".incoming"), olderThan: 6 * 3600)
            StaleFiles.sweep(Transcoder.cacheDirectory(settings), olderThan: 6 * 3600) { !$0.hasPrefix(".") }
            StaleFiles.sweep(ArtworkStore.directory(settings).appendingPathComponent("resized"), olderThan: 3600) { !$0.hasPrefix(".") }
        }
    }

    static func register(on jobs: JobRegistry) {
        jobs.register(jobKind, backoff: Backoff(base: 5, cap: 3600)) { context in
            let payload = try context.job.decodePayload(Payload.self)
            _ = try await scan(
                folderID: payload.folderId, full: payload.full ?? false, database: context.database,
                settings: context.settings, logger: context.logger)
        }
        jobs.register(sweepKind) { context in await sweep(context.settings) }
        jobs.register(rescanKind) { context in
            for library in try await Libraries.all(on: context.db) where library.kind == .folders {
                try await Libraries.enqueueScan(libraryID: library.id, full: false, on: context.db)
            }
        }
    }

    static func scan(folderID: Int64, full: Bool, app: Application, logger: Logger) async throws -> Summary {
        try await scan(folderID: folderID, full: full, database: app.db, settings: try app.settings, logger: logger)
    }

    static func scan(folderID: Int64, full: Bool, database: any Database, settings: Settings, logger: Logger) async throws -> Summary {
        let started = ContinuousClock.now
        let db = database.sql
        guard let folder = try await Libraries.folder(id: folderID, on: db),
            let library = try await Libraries.find(id: folder.libraryID, on: db)
        else {
            throw PermanentJobError("library folder \(folderID) no longer exists")
        }
        let state = State(summary: Summary(folderId: String(folderID), libraryId: String(library.id)))
        let audience = library.ownerID
        func announce<P>(_ type: EventType<P>, _ payload: P) async throws {
            try await EventStore.append(
                type, payload: payload, actorID: nil, subjectID: String(library.id),
                audienceUserID: audience, visibility: audience == nil ? .admin : nil, on: db)
        }

        let walk = await runBlocking { DirectoryWalker.walk(root: folder.path) }
        if walk.unreadableDirectories.contains("") { throw Failure("the folder \(folder.path) cannot be read") }
        for row in try await db.raw(
            """
            SELECT id, path, size, mtime, content_hash, track_id, status, error FROM files WHERE folder_id = \(bind: folderID)
            """
        ).all() {
            state.known[try row.decode(column: "path", as: String.self)] = Known(
                id: try row.decode(column: "id", as: Int64.self), size: try row.decode(column: "size", as: Int64.self),
                mtime: try row.decode(column: "mtime", as: Int64.self), hash: try row.decode(column: "content_hash", as: String?.self),
                trackID: try row.decode(column: "track_id", as: Int64?.self), status: try row.decode(column: "status", as: String.self),
                error: try row.decode(column: "error", as: String?.self))
        }

        // A folder that had files and now has none is far more often a share not mounted (its
        // empty mount point) than a library deleted: its tracks, with their listens, ratings and
        // playlist entries, are kept. Removing the folder from the library forgets them.
        let imported = state.known.values.filter { $0.status == "imported" }.count
        if walk.audio.isEmpty, imported > 0 {
            throw Failure("the folder \(folder.path) has no audio files now (a share not mounted?); its \(imported) tracks' files are kept")
        }
        state.summary.seen = walk.audio.count
        var toRead: [DirectoryWalker.Entry] = []
        var present = Set<String>()
        for entry in walk.audio {
            present.insert(entry.path)
            if let old = state.known[entry.path], !full, old.size == entry.size, old.mtime == entry.mtimeMillis,
                entry.problem == nil || old.error == entry.problem
            {
                state.summary.unchanged += 1
            } else {
                toRead.append(entry)
            }
        }
        state.vanished = state.known.filter { !present.contains($0.key) }
        for (path, old) in state.vanished { if let hash = old.hash { state.vanishedByHash[hash] = (path, old) } }

        try await announce(LibraryEvents.scanStarted, .init(folderId: String(folderID), toRead: String(toRead.count)))
        let writer = CatalogWriter(libraryID: library.id, folderID: folderID)
        var processed = 0
        var lastProgress = ContinuousClock.now
        let batches = stride(from: 0, to: toRead.count, by: batchSize).map { Array(toRead[$0..<min($0 + batchSize, toRead.count)]) }
        // Reading batch k+1 (TagLib, on Dispatch threads) overlaps writing batch k (the database).
        let known = state.known
        let plans = batches.map { CoverPlan(entries: $0, isNew: { known[$0] == nil }, images: walk.images) }
        var upcoming: Task<[Read], Never>? = batches.first.map { first in Task { await read(first, root: folder.path, covers: plans[0]) } }
        for (index, batch) in batches.enumerated() {
            try Task.checkCancellation()
            guard let reads = await upcoming?.value else { break }
            upcoming =
                index + 1 < batches.count
                ? Task { [next = batches[index + 1], plan = plans[index + 1]] in await read(next, root: folder.path, covers: plan) } : nil
            try await database.writeTransaction { tx in
                let sql = tx.sql
                // Resolve albums and track keys for the whole batch, then look the tracks up in one statement.
                var albumFiles: [(tags: AudioTags, albumArtistID: Int64, directory: String)] = []
                var fileNames: [String] = []
                for item in reads {
                    guard let tags = item.tags else { continue }
                    let directory = item.entry.path.directoryPath
                    albumFiles.append((tags, try await writer.albumArtistID(for: tags, on: sql), directory))
                    fileNames.append(item.entry.path.fileName)
                }
                try await writer.prepareAlbums(albumFiles, on: sql)
                var keys = Set<String>()
                for (file, fileName) in zip(albumFiles, fileNames) {
                    let albumID = try await writer.albumID(tags: file.tags, albumArtistID: file.albumArtistID, directory: file.directory, on: sql)
                    keys.insert(
                        CatalogWriter.trackKey(tags: file.tags, title: CatalogWriter.title(tags: file.tags, fileName: fileName), albumID: albumID))
                }
                try await writer.prefetchTracks(keys: keys, on: sql)
                for item in reads {
                    var target = state.known[item.entry.path]
                    if target == nil, let hash = item.hash, let moved = state.vanishedByHash.removeValue(forKey: hash) {
                        // Same content under a new name: a move keeps the file's identity.
                        target = moved.known
                        state.vanished.removeValue(forKey: moved.path)
                        state.summary.moved += 1
                    } else if target == nil {
                        state.summary.added += item.tags == nil ? 0 : 1
                    } else {
                        state.summary.updated += item.tags == nil ? 0 : 1
                    }
                    if item.tags == nil { state.summary.failed += 1 }
                    try await write(
                        item, target: target, library: library, folder: folder, walk: walk, writer: writer,
                        settings: settings, on: sql)
                }
                try await writer.flush(on: sql)
                try await CatalogCache.bump(on: sql)
                try await writer.announceNewAlbums(on: sql)
                try await LibraryEvents.appendCatalogChanged(libraryID: library.id, on: sql)
            }
            processed += batch.count
            if ContinuousClock.now - lastProgress > .seconds(1) {
                lastProgress = ContinuousClock.now
                try await announce(
                    LibraryEvents.scanProgress,
                    .init(folderId: String(folderID), processed: String(processed), total: String(toRead.count)))
            }
        }

        let gone = state.vanished.values.map(\.id)
        state.summary.removed = gone.count
        try await database.writeTransaction { tx in
            let sql = tx.sql
            for start in stride(from: 0, to: gone.count, by: 500) {
                let ids = SQLList(gone[start..<min(start + 500, gone.count)].map { SQLBind($0) })
                try await sql.raw("DELETE FROM files WHERE id IN (\(ids))").run()
            }
            try await sql.raw("UPDATE library_folders SET last_scan_at = \(bind: Clock.nowMillis()) WHERE id = \(bind: folderID)").run()
            if !gone.isEmpty || state.summary.updated > 0 || state.summary.moved > 0 {
                try await CatalogWriter.pruneOrphans(libraryID: library.id, on: sql)
                try await CatalogCache.bump(on: sql)  // pruned tracks and albums leave the cached indexes too
                if !gone.isEmpty { try await LibraryEvents.appendCatalogChanged(libraryID: library.id, on: sql) }
            }
        }
        let (seconds, attos) = (ContinuousClock.now - started).components
        var summary = state.summary
        summary.durationMs = Int(seconds * 1000 + attos / 1_000_000_000_000_000)
        try await announce(LibraryEvents.scanFinished, summary)
        logger.info(
            "scan finished",
            metadata: [
                "folder": .string(folder.path), "seen": .stringConvertible(summary.seen),
                "added": .stringConvertible(summary.added), "failed": .stringConvertible(summary.failed),
                "ms": .stringConvertible(summary.durationMs),
            ])
        return summary
    }

    /// Reads tags and fingerprints on every core, and the covers `covers` asks for; TagLib calls
    /// block, so they run on Dispatch threads.
    static func read(_ entries: [DirectoryWalker.Entry], root: String, covers plan: CoverPlan = CoverPlan()) async -> [Read] {
        await runBlocking {
            let folderImages = plan.folderImages.sorted { $0.key < $1.key }
            let budget = CoverBudget(CoverPlan.budget)
            let slots = Slots<Read>(buffer: .allocate(capacity: entries.count))
            slots.buffer.initialize(repeating: nil)
            let folderCovers = Slots<Cover>(buffer: .allocate(capacity: folderImages.count))
            folderCovers.buffer.initialize(repeating: nil)
            defer {
                // deallocate() alone would keep every value still in the slots alive: each batch's
                // tags and covers, for the life of the process.
                slots.buffer.deinitialize()
                slots.buffer.deallocate()
                folderCovers.buffer.deinitialize()
                folderCovers.buffer.deallocate()
            }
            DispatchQueue.concurrentPerform(iterations: entries.count + folderImages.count) { index in
                guard index < entries.count else {
                    let image = folderImages[index - entries.count].value
                    folderCovers.buffer[index - entries.count] =
                        BoundedFile.read(root + "/" + image, limit: ArtworkStore.maxBytes).flatMap { cover($0, budget: budget) }
                    return
                }
                let entry = entries[index]
                if let problem = entry.problem {
                    slots.buffer[index] = Read(entry: entry, tags: nil, error: problem, hash: nil)
                    return
                }
                let path = root + "/" + entry.path
                if entry.size == 0 {
                    slots.buffer[index] = Read(entry: entry, tags: nil, error: "empty file", hash: nil)
                    return
                }
                let hash = Fingerprint.of(path: path)
                do {
                    let tags = try TagReader.read(path: path, size: entry.size)
                    var read = Read(entry: entry, tags: tags, error: nil, hash: hash)
                    if tags.hasEmbeddedPicture, plan.embeddedFrom.contains(index), let picture = TagReader.embeddedPicture(path: path) {
                        read.cover = cover(picture.data, budget: budget)
                    }
                    slots.buffer[index] = read
                } catch {
                    slots.buffer[index] = Read(entry: entry, tags: nil, error: "\(error)", hash: hash)
                }
            }
            var byDirectory: [String: Cover] = [:]
            for (index, image) in folderImages.enumerated() { byDirectory[image.key] = folderCovers.buffer[index] }
            return slots.buffer.compactMap { slot in
                guard var read = slot else { return nil }
                if read.cover == nil, !byDirectory.isEmpty {
                    read.cover = byDirectory[read.entry.path.directoryPath]
                }
                return read
            }
        }
    }

    static func write(
        _ item: Read, target: Known?, library: LibraryRecord, folder: LibraryFolderRecord,
        walk: DirectoryWalker.Result, writer: CatalogWriter, settings: Settings, on db: any SQLDatabase
    ) async throws {
        let now = Clock.nowMillis()
        var track: CatalogWriter.TrackRef?
        if let tags = item.tags {
            let directory = item.entry.path.directoryPath
            let albumArtist = try await writer.albumArtistID(for: tags, on: db)
            let albumID = try await writer.albumID(tags: tags, albumArtistID: albumArtist, directory: directory, on: db)
            let artists = try await writer.artistIDs(for: tags, on: db)
            track = try await writer.trackRef(
                tags: tags, fileName: item.entry.path.fileName, albumID: albumID,
                artistIDs: artists, previousTrackID: target?.trackID, on: db)
            if writer.wantsArtwork(albumID: albumID),
                let image = try await artwork(for: item, directory: directory, root: folder.path, walk: walk, settings: settings)
            {
                writer.setArtwork(albumID: albumID, image: image)
            }
        }
        let tags = item.tags
        let status = tags == nil ? "failed" : "imported"
        let error = item.error.map { String($0.prefix(1000)) }
        if let target {
            let trackID = try await track.asyncMap { try await writer.resolve($0, on: db) }
            try await db.raw(
                """
                UPDATE files SET path = \(bind: item.entry.path), size = \(bind: item.entry.size), mtime = \(bind: item.entry.mtimeMillis),
                    track_id = \(bind: trackID), format = \(bind: tags?.format), bitrate = \(bind: tags?.bitrateKbps),
                    sample_rate = \(bind: tags?.sampleRate), channels = \(bind: tags?.channels), duration_ms = \(bind: tags?.durationMs),
                    content_hash = \(bind: item.hash), status = \(bind: status), error = \(bind: error), updated_at = \(bind: now)
                WHERE id = \(bind: target.id)
                """
            ).run()
        } else {
            writer.insertFileLater(
                track: track,
                [
                    .integer(library.id), .integer(folder.id), .text(item.entry.path), .init(item.entry.size),
                    .init(item.entry.mtimeMillis), .init(tags?.format), .init(tags?.bitrateKbps), .init(tags?.sampleRate),
                    .init(tags?.channels), .init(tags?.durationMs), .init(item.hash), .text(status), .init(error), .init(now), .init(now),
                ])
        }
    }

    /// A folder image next to the file, else the picture embedded in it. Both are read off the
    /// event loops, and a folder image is read only when it is a regular file of at most 20 MB.
    static func artwork(
        for item: Read, directory: String, root: String, walk: DirectoryWalker.Result, settings: Settings
    ) async throws -> ArtworkStore.Stored? {
        if let cover = item.cover {
            return try ArtworkStore.save(cover.data, mime: cover.mime, hash: cover.hash, settings: settings)
        }
        let image = folderImage(for: directory, images: walk.images)
        let embedded = item.tags?.hasEmbeddedPicture == true
        guard image != nil || embedded else { return nil }  // nothing to read: no trip to another thread
        let audioPath = root + "/" + item.entry.path
        let found = await runBlocking { () -> (data: Data, mime: String)? in
            if let image, let data = BoundedFile.read(root + "/" + image, limit: ArtworkStore.maxBytes), let mime = ImageSniffer.mime(data) {
                return (data, mime)
            }
            if embedded, let picture = TagReader.embeddedPicture(path: audioPath), ImageSniffer.mime(picture.data) != nil {
                return picture
            }
            return nil
        }
        guard let found else { return nil }
        return try ArtworkStore.save(found.data, mime: found.mime, settings: settings)
    }
}

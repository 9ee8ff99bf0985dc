import Foundation

/// Reads an import file from disk (unpacking a zip within limits); the mapping of entries to
/// listens is `ListenImportMapping` in CadenzaFormats.
enum ListenImportReader {
    /// A JSON document (an array export, a Maloja file) or a CSV is parsed whole; past this it
    /// is refused. JSON Lines (what ListenBrainz exports) are read a line at a time at any size.
    static let maxDocumentBytes = 256 << 20

    /// The import's entries in order, a batch at a time (a ListenBrainz zip is unpacked first
    /// into `scratch`). Blocking: call it off the event loops.
    static func source(file: URL, format: ListenImportFormat, scratch: URL, maxUnpackedBytes: Int64) throws -> ImportEntrySource {
        let now = Clock.nowMillis() / 1000
        switch format {
        case .listenbrainz:
            return ImportEntrySource(files: try listenBrainzFiles(file, scratch: scratch, maxUnpackedBytes: maxUnpackedBytes), now: now)
        case .lastfmCSV:
            return ImportEntrySource(entries: ListenImportMapping.lastfmCSV(String(decoding: try document(file), as: UTF8.self), now: now))
        case .maloja:
            return ImportEntrySource(entries: try ListenImportMapping.maloja(try document(file), now: now))
        }
    }

    static func document(_ file: URL) throws -> Data {
        let size = (try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int) ?? 0
        guard size <= maxDocumentBytes else {
            throw ListenStoreFailure("the file is larger than \(maxDocumentBytes >> 20) MB; export it as JSON Lines")
        }
        return try Data(contentsOf: file, options: .alwaysMapped)
    }

    /// Every entry of the files at once (small files and tests).
    static func entries(file: URL, format: ListenImportFormat, scratch: URL, maxUnpackedBytes: Int64) throws -> [ImportEntry] {
        let source = try source(file: file, format: format, scratch: scratch, maxUnpackedBytes: maxUnpackedBytes)
        var result: [ImportEntry] = []
        while case let batch = try source.next(10_000), !batch.isEmpty { result += batch }
        return result
    }

    /// A zip export holds JSON/JSONL files (listens/YYYY/M.jsonl); anything else is one file.
    /// The sizes an archive declares are not trusted: each member is inflated through a pipe and
    /// counted while it is read, and the whole stops at `maxUnpackedBytes` or `maxMembers`.
    static func listenBrainzFiles(_ file: URL, scratch: URL, maxUnpackedBytes: Int64) throws -> [URL] {
        let handle = try FileHandle(forReadingFrom: file)
        let head = try handle.read(upToCount: 4) ?? Data()
        try handle.close()
        guard Array(head) == [0x50, 0x4B, 0x03, 0x04] else { return [file] }
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        let names = try memberNames(file)
        guard names.count <= maxMembers else { throw ListenStoreFailure("the zip archive holds more than \(maxMembers) files") }
        var budget = maxUnpackedBytes
        var files: [URL] = []
        for (index, name) in names.enumerated() where isListenFile(name) {
            // Written under a name of our own: a member's path never decides where anything lands.
            let target = scratch.appendingPathComponent(String(format: "%06d.jsonl", index))
            do {
                budget -= try extract(member: name, of: file, to: target, limit: budget)
            } catch is LimitReached {
                throw ListenStoreFailure("the zip archive unpacks to more than \(maxUnpackedBytes >> 20) MB")
            }
            files.append(target)
        }
        return files
    }

    static let maxMembers = 10_000

    /// JSON or JSON Lines listens: feedback, pins and the user record are other exports.
    static func isListenFile(_ name: String) -> Bool {
        let lower = name.lowercased()
        guard !lower.hasSuffix("/"), lower.hasSuffix(".json") || lower.hasSuffix(".jsonl") else { return false }
        let base = lower.split(separator: "/").last.map(String.init) ?? lower
        return !(base.contains("feedback") || base == "user.json" || base.contains("pinned"))
    }

    /// The archive's member names, one per line, in archive order (`unzip -Z1`).
    static func memberNames(_ file: URL) throws -> [String] {
        guard let output = try? run(["-Z1", file.path], limit: 16 << 20) else { throw ListenStoreFailure("the zip archive could not be read") }
        return String(decoding: output.bytes, as: UTF8.self).split(separator: "\n").map(String.init).filter { !$0.isEmpty }
    }

    /// Inflates one member into `target`, counting what arrives; more than `limit` bytes stops
    /// unzip and fails the import. Returns the bytes written.
    static func extract(member: String, of file: URL, to target: URL, limit: Int64) throws -> Int64 {
        // unzip reads member arguments as wildcard patterns: bracket the special characters.
        // A leading "-" would read as an option.
        var pattern = ""
        for (offset, character) in member.enumerated() {
            if offset == 0 && character == "-" {
                pattern += "[-]"
                continue
            }
            pattern += "*?[\\".contains(character) ? "[\(character)]" : String(character)
        }
        _ = FileManager.default.createFile(atPath: target.path, contents: nil)
        let out = try FileHandle(forWritingTo: target)
        defer { try? out.close() }
        let result = try run(["-p", file.path, pattern], limit: limit) { chunk in try out.write(contentsOf: chunk) }
        return result.count
    }

    struct LimitReached: Error {}

    /// Runs `/usr/bin/unzip` with an argument array, passing its output on in chunks and killing
    /// it once more than `limit` bytes arrive. Without a consumer the output is collected.
    @discardableResult
    static func run(_ arguments: [String], limit: Int64, consume: ((Data) throws -> Void)? = nil) throws -> (count: Int64, bytes: Data) {
        let unzip = Process()
        unzip.executableURL = URL(fileURLWithPath: "/usr/bin/unzip")
        unzip.arguments = arguments
        let pipe = Pipe()
        unzip.standardOutput = pipe
        unzip.standardError = FileHandle.nullDevice
        unzip.standardInput = FileHandle.nullDevice
        try unzip.run()
        let reader = pipe.fileHandleForReading
        var count: Int64 = 0
        var collected = Data()
        do {
            while let chunk = try reader.read(upToCount: 256 * 1024), !chunk.isEmpty {
                count += Int64(chunk.count)
                guard count <= limit else { throw LimitReached() }
                if let consume { try consume(chunk) } else { collected.append(chunk) }
            }
        } catch {
            unzip.terminate()
            try? reader.close()
            unzip.waitUntilExit()
            throw error
        }
        unzip.waitUntilExit()
        guard unzip.terminationStatus == 0 else { throw ListenStoreFailure("the zip archive could not be unpacked") }
        return (count, collected)
    }

}

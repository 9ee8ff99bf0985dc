import Foundation

/// Listening-history files other services export, read into candidate listens. Each entry is
/// validated with ListenBrainz's rules; what fails is counted as skipped, not fatal.
enum ListenImportFormat: String, Codable, CaseIterable, Sendable {
    case listenbrainz, lastfmCSV = "lastfm_csv", maloja

    /// Guesses the format from the first bytes of a file (zip archives are ListenBrainz exports).
    static func sniff(_ head: [UInt8]) -> ListenImportFormat? {
        if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) { return .listenbrainz }
        let text = String(decoding: head, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if text.hasPrefix("{") && text.contains("\"scrobbles\"") { return .maloja }
        if text.hasPrefix("[") || text.hasPrefix("{") { return .listenbrainz }
        if !text.isEmpty { return .lastfmCSV }
        return nil
    }
}

/// One entry of an import file: a listen, or why it was skipped.
enum ImportEntry: Sendable {
    case listen(IncomingListen)
    case skipped(String)
}

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
            return ImportEntrySource(entries: lastfmCSV(String(decoding: try document(file), as: UTF8.self), now: now))
        case .maloja:
            return ImportEntrySource(entries: try maloja(try document(file), now: now))
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

    static func validated(_ listen: [String: JSONValue], now: Int64) -> ImportEntry {
        do {
            return .listen(try ListenValidator.validate(listen: .object(listen), type: .import, now: now))
        } catch let error as ListenBrainzError {
            return .skipped(error.message)
        } catch {
            return .skipped("\(error)")
        }
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
        FileManager.default.createFile(atPath: target.path, contents: nil)
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

    /// One ListenBrainz listen object as exported (extra fields ignored).
    static func listenBrainzListen(_ value: JSONValue, now: Int64) -> ImportEntry {
        guard case .object(let object) = value else { return .skipped("not a listen object") }
        var listen: [String: JSONValue] = [:]
        listen["listened_at"] = object["listened_at"]
        listen["track_metadata"] = object["track_metadata"]
        return validated(listen, now: now)
    }

    /// One line of a JSON Lines export.
    static func listenBrainzLine(_ line: ArraySlice<UInt8>, now: Int64) -> ImportEntry? {
        guard line.contains(where: { $0 > 0x20 }) else { return nil }
        guard let value = try? JSONValue.parse(Array(line)) else { return .skipped("a line is not valid JSON") }
        return listenBrainzListen(value, now: now)
    }

    /// A JSON array of listens, or JSON Lines with one listen per line.
    static func listenBrainz(_ data: Data, now: Int64) throws -> [ImportEntry] {
        func listen(_ value: JSONValue) -> ImportEntry { listenBrainzListen(value, now: now) }
        let first = data.first { !($0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09) }
        if first == UInt8(ascii: "[") {
            guard case .array(let items) = try JSONValue.parse(Array(data)) else { return [] }
            return items.map(listen)
        }
        return Array(data).split(separator: UInt8(ascii: "\n")).compactMap { listenBrainzLine($0, now: now) }
    }

    /// Last.fm scrobble CSV: either with a header naming the columns (uts/utc_time, artist,
    /// album, track, *_mbid) or the common header-less `artist,album,track,date` ("31 Jan 2021 14:05", UTC).
    static func lastfmCSV(_ text: String, now: Int64) -> [ImportEntry] {
        let rows = CSV.rows(text)
        guard let first = rows.first else { return [] }
        let header = first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        let named = header.contains("artist") && (header.contains("track") || header.contains("title"))
        func column(_ names: [String]) -> Int? { names.lazy.compactMap { header.firstIndex(of: $0) }.first }
        let artist = named ? column(["artist"]) : 0
        let album = named ? column(["album"]) : 1
        let track = named ? column(["track", "title"]) : 2
        let uts = named ? column(["uts", "timestamp", "unix"]) : nil
        let date = named ? column(["utc_time", "date", "time"]) : 3
        let trackMBID = named ? column(["track_mbid", "recording_mbid"]) : nil
        let artistMBID = named ? column(["artist_mbid"]) : nil
        let albumMBID = named ? column(["album_mbid", "release_mbid"]) : nil
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "dd MMM yyyy HH:mm"
        return rows.dropFirst(named ? 1 : 0).compactMap { row -> ImportEntry? in
            if row.allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) { return nil }
            func value(_ index: Int?) -> String? {
                guard let index, index < row.count else { return nil }
                let text = row[index].trimmingCharacters(in: .whitespaces)
                return text.isEmpty ? nil : text
            }
            var ts: Int64?
            if let raw = value(uts) { ts = Int64(raw) }
            if ts == nil, let raw = value(date) { ts = formatter.date(from: raw).map { Int64($0.timeIntervalSince1970) } ?? Int64(raw) }
            guard let ts else { return .skipped("no timestamp") }
            var info: [String: JSONValue] = [:]
            if let mbid = value(trackMBID) { info["recording_mbid"] = .string(mbid) }
            if let mbid = value(albumMBID) { info["release_mbid"] = .string(mbid) }
            if let mbid = value(artistMBID) { info["artist_mbids"] = .array([.string(mbid)]) }
            info["submission_client"] = .string("Last.fm CSV import")
            var metadata: [String: JSONValue] = [
                "artist_name": value(artist).map(JSONValue.string) ?? .null,
                "track_name": value(track).map(JSONValue.string) ?? .null,
                "additional_info": .object(info),
            ]
            if let name = value(album) { metadata["release_name"] = .string(name) }
            return validated(["listened_at": .number(Double(ts)), "track_metadata": .object(metadata)], now: now)
        }
    }

    /// Maloja's export: `{"scrobbles": [{"time", "track": {"title", "artists", "album": {"albumtitle"}, "length"}, "duration"}]}`.
    static func maloja(_ data: Data, now: Int64) throws -> [ImportEntry] {
        guard case .object(let root) = try JSONValue.parse(Array(data)),
            case .array(let scrobbles)? = root["scrobbles"]
        else { return [] }
        return scrobbles.map { item in
            guard case .object(let scrobble) = item, case .object(let track)? = scrobble["track"] else { return .skipped("not a scrobble") }
            var artists: [String] = []
            if case .array(let names)? = track["artists"] {
                for case .string(let name) in names { artists.append(name) }
            }
            var metadata: [String: JSONValue] = [
                "track_name": track["title"] ?? .null,
                "artist_name": artists.isEmpty ? .null : .string(artists.joined(separator: ", ")),
            ]
            if case .object(let album)? = track["album"], case .string(let title)? = album["albumtitle"] {
                metadata["release_name"] = .string(title)
            }
            var info: [String: JSONValue] = ["submission_client": .string("Maloja import")]
            if case .number(let length)? = track["length"], length > 0 { info["duration"] = .number(length) }
            if case .number(let played)? = scrobble["duration"], played > 0 { info["duration_played"] = .number(played) }
            metadata["additional_info"] = .object(info)
            return validated(["listened_at": scrobble["time"] ?? .null, "track_metadata": .object(metadata)], now: now)
        }
    }
}

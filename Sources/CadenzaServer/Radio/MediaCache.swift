import Crypto
import Foundation
import NIOConcurrencyHelpers

/// A playout's own copies of what it is about to air, on its local disk and named by the SHA-256
/// of their content: when the library's storage (a network share, on another machine) goes away,
/// what the station airs in the coming hours stays playable, and a restart while it is away airs
/// from here. One content is kept once, whatever paths and stations share it; past the size
/// limit the copies aired longest ago go, never one about to air.
///
/// The engine's thread asks `resolve` for every item it decodes; that looks only at memory and
/// the local disk, never at the library's storage (a hung share must not stall the bus).
///
/// Processes sharing a data directory (several `cadenza playout` processes on one machine)
/// share the copies but each keeps its own index (`index-NAME.json`); a copy another index names
/// is never removed.
final class MediaCache: Sendable {
    struct Entry: Codable, Sendable {
        var hash: String
        var ext: String
        var size: Int64
        var mtime: Int64
        var usedAt: Int64
    }

    let directory: URL
    let limitBytes: Int64
    /// By source path.
    private let entries: NIOLockedValueBox<[String: Entry]>
    /// What each station airs next (by station): never trimmed.
    private let pinned = NIOLockedValueBox<[String: Set<String>]>([:])
    /// One warm-up at a time (stations of one process share the cache).
    private let warming = NIOLock()
    private let indexFile: URL

    /// Reads the index this process's name left (blocking: call it off the event loops); copies
    /// half written by a killed process, and copies no index names, are removed.
    init(directory: URL, limitBytes: Int64, name: String = "all") {
        self.directory = directory
        self.limitBytes = limitBytes
        indexFile = directory.appendingPathComponent("index-\(name.filter { $0.isLetter || $0.isNumber || $0 == "-" }).json")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        entries = NIOLockedValueBox(Self.read(indexFile))
        let named = Set(Self.indexes(in: directory).flatMap { Self.read($0).values.map(\.hash) })
        for file in (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [] {
            let hash = String(file.prefix { $0 != "." })
            if file.hasPrefix("incoming-") || (Self.validHash(hash) && !named.contains(hash)) {
                try? FileManager.default.removeItem(at: directory.appendingPathComponent(file))
            }
        }
    }

    private static func read(_ file: URL) -> [String: Entry] {
        let kept = (try? Data(contentsOf: file)).flatMap { try? JSONDecoder().decode([String: Entry].self, from: $0) } ?? [:]
        return kept.filter { validHash($0.value.hash) && validExtension($0.value.ext) }
    }

    private static func indexes(in directory: URL) -> [URL] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
            .filter { $0.hasPrefix("index-") && $0.hasSuffix(".json") }.map { directory.appendingPathComponent($0) }
    }

    private func blob(_ entry: Entry) -> String {
        directory.appendingPathComponent(entry.ext.isEmpty ? entry.hash : "\(entry.hash).\(entry.ext)").path
    }

    /// The copy of `path` if there is one, else `path` itself.
    func resolve(_ path: String) -> String {
        let now = Clock.nowMillis()
        let found = entries.withLockedValue { entries -> Entry? in
            guard var entry = entries[path] else { return nil }
            entry.usedAt = now
            entries[path] = entry
            return entry
        }
        guard let found else { return path }
        let copy = blob(found)
        return FileManager.default.isReadableFile(atPath: copy) ? copy : path
    }

    func contains(_ path: String) -> Bool { entries.withLockedValue { $0[path] != nil } }

    /// How many contents and bytes are kept.
    var usage: (files: Int, bytes: Int64) {
        let unique = entries.withLockedValue { entries in Dictionary(entries.values.map { ($0.hash, $0.size) }, uniquingKeysWith: { a, _ in a }) }
        return (unique.count, unique.values.reduce(0, +))
    }

    /// Copies each of `paths` (what station `key` airs next) not kept yet (or changed since),
    /// then trims the cache to its limit, keeping what every station airs next. Blocking: run it
    /// off the event loops; `cancelled` is asked between files and chunks. A source that cannot
    /// be read (the share is away) keeps its last copy. Returns how many were copied.
    @discardableResult
    func warm(_ paths: [String], for key: String = "", cancelled: @Sendable () -> Bool = { false }) -> Int {
        pinned.withLockedValue { $0[key] = Set(paths) }
        return warming.withLock {
            var copied = 0
            var seen = Set<String>()
            for path in paths where seen.insert(path).inserted {
                if cancelled() { break }
                // (A library's files may be links: what they point at is what is copied.)
                let target = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
                guard let attributes = try? FileManager.default.attributesOfItem(atPath: target),
                    (attributes[.type] as? FileAttributeType) == .typeRegular,
                    let size = (attributes[.size] as? NSNumber)?.int64Value,
                    let modified = attributes[.modificationDate] as? Date
                else { continue }
                let mtime = Int64((modified.timeIntervalSince1970 * 1000).rounded())
                if let known = entries.withLockedValue({ $0[path] }), known.size == size, known.mtime == mtime,
                    FileManager.default.fileExists(atPath: blob(known))
                {
                    continue
                }
                // Never more than the whole cache in one file.
                guard size <= limitBytes, let entry = copy(target, size: size, mtime: mtime, cancelled: cancelled) else { continue }
                entries.withLockedValue { $0[path] = entry }
                copied += 1
                save()  // each copy is found again after a kill
            }
            trim()
            save()
            return copied
        }
    }

    /// A station off air: what it aired next need not be kept any more.
    func unpin(_ key: String) {
        pinned.withLockedValue { $0[key] = nil }
    }

    /// Streams the file into a temporary copy while hashing it, then names the copy by its hash.
    private func copy(_ path: String, size: Int64, mtime: Int64, cancelled: () -> Bool) -> Entry? {
        guard let source = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? source.close() }
        let temporary = directory.appendingPathComponent("incoming-\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil), let target = FileHandle(forWritingAtPath: temporary.path)
        else { return nil }
        var hasher = SHA256()
        var written: Int64 = 0
        var failed = false
        while true {
            if cancelled() {
                failed = true
                break
            }
            let read: Data?
            do { read = try source.read(upToCount: 1 << 20) } catch {
                failed = true
                break
            }
            // (nil or empty: the end of the file.)
            guard let chunk = read, !chunk.isEmpty else { break }
            written += Int64(chunk.count)
            // Grown past what it said it was, or past the limit: not a file to keep whole.
            if written > max(size, 0) + (1 << 20) || written > limitBytes {
                failed = true
                break
            }
            hasher.update(data: chunk)
            do { try target.write(contentsOf: chunk) } catch {
                failed = true
                break
            }
        }
        try? target.close()
        guard !failed else {
            try? FileManager.default.removeItem(at: temporary)
            return nil
        }
        let ext = Self.extensionOf(path)
        let entry = Entry(hash: UTF8Text.hex(hasher.finalize()), ext: ext, size: written, mtime: mtime, usedAt: Clock.nowMillis())
        let final = blob(entry)
        if FileManager.default.fileExists(atPath: final) {
            try? FileManager.default.removeItem(at: temporary)  // the same content under another path
        } else if rename(temporary.path, final) != 0 {
            try? FileManager.default.removeItem(at: temporary)
            return nil
        }
        return entry
    }

    /// Over the limit: the copies aired longest ago go first, except what a station airs next.
    private func trim() {
        let keeping = pinned.withLockedValue { $0.values.reduce(into: Set<String>()) { $0.formUnion($1) } }
        let removed = entries.withLockedValue { entries -> [Entry] in
            var total = Dictionary(entries.values.map { ($0.hash, $0.size) }, uniquingKeysWith: { a, _ in a }).values.reduce(0, +)
            guard total > limitBytes else { return [] }
            var gone: [Entry] = []
            for (path, entry) in entries.sorted(by: { $0.value.usedAt < $1.value.usedAt }) where total > limitBytes && !keeping.contains(path) {
                entries[path] = nil
                // The content goes with its last path.
                if !entries.values.contains(where: { $0.hash == entry.hash }) {
                    total -= entry.size
                    gone.append(entry)
                }
            }
            return gone
        }
        guard !removed.isEmpty else { return }
        // Another process's index may name the same content.
        let others = Set(
            Self.indexes(in: directory).filter { $0.lastPathComponent != indexFile.lastPathComponent }.flatMap { Self.read($0).values.map(\.hash) })
        for entry in removed where !others.contains(entry.hash) { try? FileManager.default.removeItem(atPath: blob(entry)) }
    }

    private func save() {
        let snapshot = entries.withLockedValue { $0 }
        if let data = try? JSONEncoder().encode(snapshot) { try? data.write(to: indexFile, options: .atomic) }
    }

    /// The source's extension, kept on the copy (ffmpeg probes by content, but a name helps it):
    /// letters and digits only, at most 5.
    static func extensionOf(_ path: String) -> String {
        let ext = (path as NSString).pathExtension.lowercased()
        return validExtension(ext) ? ext : ""
    }

    static func validExtension(_ ext: String) -> Bool {
        ext.count <= 5 && ext.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
    }

    static func validHash(_ hash: String) -> Bool {
        hash.count == 64 && hash.allSatisfy { $0.isHexDigit && ($0.isNumber || $0.isLowercase) }
    }
}

import Crypto
import Foundation

/// `SHA256SUMS` in the format `sha256sum -c` reads: `<hex>  <path relative to the folder>`.
enum Checksums {
    static func sha256(of file: URL) throws -> String {
        let handle = try FileHandle(forReadingFrom: file)
        defer { try? handle.close() }
        var hash = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hash.update(data: chunk) }
        return hash.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// Hashes every file under `root` (but the sums file itself) into `root/name`; returns how many.
    static func write(_ root: URL, to name: String) throws -> Int {
        let files = try FileTree.files(under: root).filter { $0 != name }
        var text = ""
        for path in files { text += try sha256(of: root.appendingPathComponent(path)) + "  " + path + "\n" }
        try Data(text.utf8).write(to: root.appendingPathComponent(name))
        return files.count
    }

    /// The paths listed in `root/name`, and those whose content differs or that are missing;
    /// throws when the list itself cannot be read or names a path outside `root`.
    static func verify(_ root: URL, from name: String) throws -> (listed: Set<String>, bad: [String]) {
        guard let text = try? String(contentsOf: root.appendingPathComponent(name), encoding: .utf8) else {
            throw Backup.Failure(description: "\(name) is missing or unreadable: not a Cadenza backup")
        }
        var listed = Set<String>()
        var bad: [String] = []
        for line in text.split(separator: "\n") where !line.isEmpty {
            let parts = line.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].count == 64 else { throw Backup.Failure(description: "\(name): unreadable line \(line.prefix(80))") }
            let path = String(parts[1].drop(while: { $0 == " " || $0 == "*" }))
            guard FileTree.isInside(path) else { throw Backup.Failure(description: "\(name): \(path) is outside the backup") }
            listed.insert(path)
            let file = root.appendingPathComponent(path)
            if (try? sha256(of: file)) != String(parts[0]) { bad.append(path) }
        }
        return (listed, bad)
    }
}

/// Copies and lists plain files, never following a link out of the tree.
enum FileTree {
    /// Relative paths of the regular files under `root`, sorted; half-written files (what the
    /// server is receiving: `.incoming` folders, `incoming-` files) are left out.
    static func files(under root: URL) throws -> [String] {
        // The folder itself may be a link (to a share the nodes have in common): the walk starts
        // at what it names (from the link it lists nothing); links inside are not followed.
        let root = root.resolvingSymlinksInPath()
        guard FileManager.default.fileExists(atPath: root.path) else { return [] }
        guard let walk = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey, .isDirectoryKey]) else {
            return []
        }
        let base = root.standardizedFileURL.path + "/"
        var found: [String] = []
        for case let url as URL in walk {
            let name = url.lastPathComponent
            // Gone since the walk listed it (a deleted upload, a renamed temporary file): not there.
            guard let values = try? url.resourceValues(forKeys: [.isRegularFileKey, .isDirectoryKey]) else { continue }
            if values.isDirectory == true, name == ".incoming" {
                walk.skipDescendants()
                continue
            }
            guard values.isRegularFile == true, !name.hasPrefix("incoming-"), !name.hasSuffix(".partial") else { continue }
            let path = url.standardizedFileURL.path
            if path.hasPrefix(base) { found.append(String(path.dropFirst(base.count))) }
        }
        return found.sorted()
    }

    /// Copies the files `files(under:)` lists; returns how many and their size.
    static func copy(from source: URL, to target: URL) throws -> (files: Int, bytes: Int64) {
        var bytes: Int64 = 0, copied = 0
        let source = source.resolvingSymlinksInPath()
        let list = try files(under: source)
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        for path in list {
            let from = source.appendingPathComponent(path), to = target.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: to.deletingLastPathComponent(), withIntermediateDirectories: true)
            do {
                try FileManager.default.copyItem(at: from, to: to)
            } catch CocoaError.fileReadNoSuchFile {
                continue  // deleted since it was listed (after the database's snapshot: the backup says so)
            }
            copied += 1
            bytes += ((try? FileManager.default.attributesOfItem(atPath: to.path))?[.size] as? NSNumber)?.int64Value ?? 0
        }
        return (copied, bytes)
    }

    /// A relative path that stays inside its root: no absolute path, no `..` or `.` part.
    static func isInside(_ path: String) -> Bool {
        !path.isEmpty && !path.hasPrefix("/")
            && !path.split(separator: "/", omittingEmptySubsequences: false).contains { $0 == ".." || $0 == "." || $0.isEmpty }
    }
}

import Foundation

/// Reads files whose path a user may influence (sidecar lyrics, folder covers): only regular
/// files (never a FIFO that blocks forever, never a device), and only up to `limit` bytes.
/// Blocking: call it inside `runBlocking`.
enum BoundedFile {
    static func read(_ path: String, limit: Int) -> Data? {
        // Resolved first: a symlink to a regular file is fine, one to a FIFO or device is not.
        // (Foundation rather than stat(2): which module `struct stat` belongs to differs between
        // debug and release builds, and release refused to compile its fields.)
        let target = URL(fileURLWithPath: path).resolvingSymlinksInPath()
        guard let values = try? target.resourceValues(forKeys: [.isRegularFileKey, .fileSizeKey]), values.isRegularFile == true,
            let size = values.fileSize, size <= limit, let handle = FileHandle(forReadingAtPath: target.path)
        else { return nil }
        defer { try? handle.close() }
        guard let data = try? handle.read(upToCount: limit), data.count <= limit else { return nil }
        return data
    }
}

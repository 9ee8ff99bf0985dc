import Foundation

/// Reads files whose path a user may influence (sidecar lyrics, folder covers): only regular
/// files (never a FIFO that blocks forever, never a device), and only up to `limit` bytes.
/// Blocking: call it inside `runBlocking`.
enum BoundedFile {
    static func read(_ path: String, limit: Int) -> Data? {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_size <= off_t(limit),
            let handle = FileHandle(forReadingAtPath: path)
        else { return nil }
        defer { try? handle.close() }
        guard let data = try? handle.read(upToCount: limit), data.count <= limit else { return nil }
        return data
    }
}

import CFileStat
import Foundation

/// Reads files whose path a user may influence (sidecar lyrics, folder covers): only regular
/// files (never a FIFO that blocks forever, never a device), and only up to `limit` bytes.
/// Blocking: call it inside `runBlocking`.
enum BoundedFile {
    static func read(_ path: String, limit: Int) -> Data? {
        let fd = cadenza_open_regular(path, Int64(limit))
        guard fd >= 0 else { return nil }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        defer { try? handle.close() }
        guard let data = try? handle.read(upToCount: limit), data.count <= limit else { return nil }
        return data
    }
}

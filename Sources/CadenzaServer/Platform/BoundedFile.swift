import CFileStat
import Foundation

/// Reads files whose path a user may influence (sidecar lyrics, folder covers): only regular
/// files (never a FIFO that blocks forever, never a device), and only up to `limit` bytes.
/// Blocking: call it inside `runBlocking`.
enum BoundedFile {
    static func read(_ path: String, limit: Int) -> Data? {
        var info = cadenza_file_stat_t()
        guard cadenza_file_stat(path, &info) == 0, info.kind == 1, info.size <= Int64(limit), let handle = FileHandle(forReadingAtPath: path)
        else { return nil }
        defer { try? handle.close() }
        guard let data = try? handle.read(upToCount: limit), data.count <= limit else { return nil }
        return data
    }
}

import Crypto
import Foundation

/// A content fingerprint that recognises a moved file without reading all of it: SHA-256 of the
/// size, the first and the last 64 KiB. Audio files that share all three are the same recording
/// for every practical purpose, and a 10 GB library rescans in seconds instead of minutes.
enum Fingerprint {
    static let window = 64 * 1024

    static func of(path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let size = try? handle.seekToEnd() else { return nil }
        var hasher = SHA256()
        withUnsafeBytes(of: size.littleEndian) { hasher.update(bufferPointer: $0) }
        try? handle.seek(toOffset: 0)
        guard let head = try? handle.read(upToCount: window) else { return nil }
        hasher.update(data: head)
        if size > UInt64(window) {
            try? handle.seek(toOffset: size - UInt64(min(UInt64(window), size - UInt64(window))))
            if let tail = try? handle.read(upToCount: window) { hasher.update(data: tail) }
        }
        return UTF8Text.hex(hasher.finalize())
    }

    /// Full SHA-256, for content that must be compared exactly (artwork, uploads).
    static func sha256(_ data: Data) -> String {
        UTF8Text.hex(SHA256.hash(data: data))
    }
}

import Foundation
import Logging

/// A live set written to disk as the DJ's client sends it (the bytes as sent, before any
/// decoding), from its own queue so the connection's event loop never waits on the disk.
/// Bounded: a set longer than `maxBytes`, or a disk that falls behind by `maxPending`, stops
/// the recording (the set itself stays on air).
final class LiveRecorder: @unchecked Sendable {
    let file: URL
    let startedAt: Date
    private let queue = DispatchQueue(label: "cadenza.live-recorder")
    private let lock = NSLock()
    private var handle: FileHandle?
    private var written = 0
    private var pending = 0
    private var stopped = false
    private let logger: Logger
    static let maxBytes = 4 << 30
    static let maxPending = 32 << 20

    init?(directory: URL, name: String, logger: Logger) {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            logger.warning("radio: live sets cannot be recorded in \(directory.path): \(String(describing: error))")
            return nil
        }
        file = directory.appendingPathComponent(name)
        guard FileManager.default.createFile(atPath: file.path, contents: nil), let handle = try? FileHandle(forWritingTo: file) else {
            logger.warning("radio: could not start recording to \(directory.path)")
            return nil
        }
        self.handle = handle
        startedAt = Date()
        self.logger = logger
    }

    func append(_ data: Data) {
        let accepted = lock.withLock { () -> Bool in
            guard !stopped else { return false }
            guard written + pending + data.count <= Self.maxBytes, pending + data.count <= Self.maxPending else {
                stopped = true
                return false
            }
            pending += data.count
            return true
        }
        guard accepted else { return }
        queue.async { [self] in
            let current: FileHandle? = lock.withLock { self.handle }
            do { try current?.write(contentsOf: data) } catch { lock.withLock { stopped = true } }
            lock.withLock {
                pending -= data.count
                written += data.count
            }
        }
    }

    /// Closes the file once everything queued is on disk; the bytes written.
    func finish() async -> Int {
        await withCheckedContinuation { continuation in
            queue.async { [self] in
                let (handle, written) = lock.withLock { () -> (FileHandle?, Int) in
                    stopped = true
                    defer { self.handle = nil }
                    return (self.handle, self.written)
                }
                try? handle?.close()
                continuation.resume(returning: written)
            }
        }
    }
}

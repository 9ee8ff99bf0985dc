import Foundation

/// A live source's bytes (MP3, AAC, Ogg as a DJ's client sends them) on their way to the
/// decoder that airs them. The network side appends without ever blocking (its own writer
/// thread feeds the pipe ffmpeg reads; what a stalled decoder would not take is dropped, oldest
/// first); the decoder finds the feed by the item's path, `live:<id>`.
public final class LiveFeed: @unchecked Sendable {
    public let id: String
    let pipe = Pipe()
    private let condition = NSCondition()
    private var chunks: [Data] = []
    private var queued = 0
    private var finished = false
    /// About 30 s of a 256 kb/s stream.
    static let capacity = 1 << 20

    public init() {
        id = UUID().uuidString
        signal(SIGPIPE, SIG_IGN)
        let writer = Thread { [self] in run() }
        writer.name = "cadenza.live-feed"
        writer.start()
        LiveFeeds.register(self)
    }

    /// The path of a playout item that airs this feed.
    public var path: String { "live:\(id)" }

    public func append(_ data: Data) {
        condition.withLock {
            guard !finished else { return }
            chunks.append(data)
            queued += data.count
            while queued > Self.capacity, let first = chunks.first {
                chunks.removeFirst()
                queued -= first.count
            }
            condition.signal()
        }
    }

    /// The source went away: what was sent airs to its end, then the decoder ends.
    public func finish() {
        condition.withLock {
            finished = true
            condition.signal()
        }
    }

    private func run() {
        let output = pipe.fileHandleForWriting
        while true {
            condition.lock()
            while chunks.isEmpty && !finished { condition.wait() }
            let next = chunks.isEmpty ? nil : chunks.removeFirst()
            if let next { queued -= next.count }
            condition.unlock()
            guard let next else { break }
            // A decoder that stopped reading closes the pipe: the write fails and the feed ends.
            do { try output.write(contentsOf: next) } catch { break }
        }
        try? output.close()
        LiveFeeds.remove(id)
    }
}

/// The feeds on air, by id.
enum LiveFeeds {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var feeds: [String: LiveFeed] = [:]

    static func register(_ feed: LiveFeed) { lock.withLock { feeds[feed.id] = feed } }
    static func remove(_ id: String) { lock.withLock { _ = feeds.removeValue(forKey: id) } }
    static func feed(path: String) -> LiveFeed? {
        guard path.hasPrefix("live:") else { return nil }
        return lock.withLock { feeds[String(path.dropFirst(5))] }
    }
}

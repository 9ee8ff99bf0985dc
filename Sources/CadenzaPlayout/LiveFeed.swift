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
    /// The writer could not write (no decoder reads any more): the source should be let go.
    private var dead = false
    private var attached = false
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

    /// False once the feed is over for its source (its decoder ended or was stopped): the
    /// connection should be closed, so the DJ's client knows and reconnects.
    @discardableResult
    public func append(_ data: Data) -> Bool {
        condition.withLock {
            guard !finished, !dead else { return false }
            chunks.append(data)
            queued += data.count
            while queued > Self.capacity, let first = chunks.first {
                chunks.removeFirst()
                queued -= first.count
            }
            condition.signal()
            return true
        }
    }

    public var isDead: Bool { condition.withLock { dead } }

    /// Ends the feed from the air's side (the live item was skipped or its decoder died): the
    /// writer stops and the source is let go.
    public func kill() {
        condition.withLock {
            dead = true
            condition.signal()
        }
        closeReader()
    }

    /// A decoder reads the feed from now on.
    func attach() { condition.withLock { attached = true } }

    /// Closes the read end this process holds: a writer blocked on a full pipe nobody reads
    /// fails at once instead of waiting for ever.
    func closeReader() { try? pipe.fileHandleForReading.close() }

    /// The source went away: what was sent airs to its end, then the decoder ends. With no
    /// decoder attached, nothing will read it.
    public func finish() {
        let unread = condition.withLock {
            finished = true
            condition.signal()
            return !attached
        }
        if unread { closeReader() }
    }

    private func run() {
        let output = pipe.fileHandleForWriting
        while true {
            condition.lock()
            while chunks.isEmpty && !finished && !dead { condition.wait() }
            let next = chunks.isEmpty || dead ? nil : chunks.removeFirst()
            if let next { queued -= next.count }
            condition.unlock()
            guard let next else { break }
            // A decoder that stopped reading closes the pipe: the write fails and the feed ends.
            do { try output.write(contentsOf: next) } catch {
                condition.withLock { dead = true }
                break
            }
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

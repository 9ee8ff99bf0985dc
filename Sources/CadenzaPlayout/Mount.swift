import Foundation

/// An Icecast-style mount: one encoder's output fanned out to every listener, with a burst of
/// recent audio on connect (players start at once) and, for clients that send
/// `Icy-MetaData: 1`, a metadata block every `metaint` bytes naming what is playing at that
/// byte of the stream — the title changes where the audio does, not when the engine decided.
public final class Mount: @unchecked Sendable {
    public static let metaint = 16_000

    public let format: Encoder.Format
    /// What its encoder makes, and what `icy-br` tells listeners.
    public let bitrate: Encoder.Bitrate
    /// New listeners are refused from this many on (those connected stay when it is lowered).
    public var maxListeners: Int {
        get { lock.withLock { limit } }
        set { lock.withLock { limit = max(1, newValue) } }
    }
    private var limit: Int
    /// Encoded bytes per second of audio (constant bitrate), to place titles in the byte stream.
    private let bytesPerSecond: Int64
    private let burstSize: Int
    private let lock = NSLock()
    private var total: Int64 = 0
    private var burst: [UInt8] = []
    private var titles: [(offset: Int64, title: String)] = []
    private var listeners: [Int: Listener] = [:]
    private var nextID = 0
    private var pending: [UInt8] = []
    private let flushSize: Int
    private var peak = 0
    private var samplePeak = 0
    /// The most listeners at once since the mount opened.
    public var peakListeners: Int { lock.withLock { peak } }

    struct Listener {
        var icy: Bool
        var userAgent: String
        var position: Int64
        var untilMeta: Int
        var lastTitle: String?
        var continuation: AsyncStream<[UInt8]>.Continuation
    }

    /// `burstSize` defaults to about 4 s of audio (64 KiB at 128 kb/s, Icecast's default burst).
    public init(
        format: Encoder.Format, bitrate: Encoder.Bitrate = .standard, maxListeners: Int = 1_000, burstSize: Int? = nil, flushSize: Int = 4_000
    ) {
        self.format = format
        self.bitrate = bitrate
        bytesPerSecond = Int64(bitrate.kbps) * 125
        self.flushSize = flushSize
        self.limit = max(1, maxListeners)
        self.burstSize = burstSize ?? 64 * 1024 * bitrate.kbps / 128
    }

    public var listenerCount: Int { lock.withLock { listeners.count } }

    /// The bus frame a listener connecting now hears first (the burst's start): how far behind
    /// the bus the mount's listeners are.
    public var burstStartFrame: Int64 {
        lock.withLock { (total - Int64(burst.count)) * Int64(PCM.sampleRate) / bytesPerSecond }
    }

    /// The title from bus frame `frame` on (frames count from the encoder's first input).
    public func setTitle(_ title: String, atFrame frame: Int64) {
        let offset = frame * bytesPerSecond / Int64(PCM.sampleRate)
        lock.withLock {
            titles.append((offset, title))
            // Only titles a listener may still reach (the burst's start onwards) are kept.
            let oldest = total - Int64(burst.count)
            while titles.count > 1, titles[1].offset <= oldest { titles.removeFirst() }
        }
    }

    /// The title airing at byte `offset` of the stream.
    func title(at offset: Int64) -> String {
        var found = ""
        for entry in titles where entry.offset <= offset { found = entry.title }
        return found
    }

    /// Encoded audio from the encoder, sent on to every listener in pieces of at least
    /// `flushSize` bytes (the encoder writes each 26 ms MP3 frame alone; a write per frame per
    /// listener would cost more than the audio).
    public func append(_ bytes: [UInt8]) {
        lock.lock()
        defer { lock.unlock() }
        pending.append(contentsOf: bytes)
        guard pending.count >= flushSize else { return }
        let bytes = pending
        pending.removeAll(keepingCapacity: true)
        for (id, listener) in listeners {
            var listener = listener
            let out = render(bytes, for: &listener)
            if case .dropped = listener.continuation.yield(out) {
                // Too slow to keep up: a listener never holds the mount's memory hostage.
                listener.continuation.finish()
                listeners[id] = nil
            } else {
                listeners[id] = listener
            }
        }
        total += Int64(bytes.count)
        burst.append(contentsOf: bytes)
        if burst.count > burstSize { burst.removeFirst(burst.count - burstSize) }
    }

    /// A new listener's stream (burst first), or nil when the mount is full.
    public func subscribe(icy: Bool, userAgent: String = "") -> (id: Int, stream: AsyncStream<[UInt8]>)? {
        lock.lock()
        defer { lock.unlock() }
        guard listeners.count < limit else { return nil }
        let (stream, continuation) = AsyncStream<[UInt8]>.makeStream(bufferingPolicy: .bufferingOldest(256))
        var listener = Listener(
            icy: icy, userAgent: String(userAgent.prefix(200)), position: total - Int64(burst.count), untilMeta: Self.metaint, lastTitle: nil,
            continuation: continuation)
        if !burst.isEmpty { continuation.yield(render(burst, for: &listener)) }
        nextID += 1
        listeners[nextID] = listener
        peak = max(peak, listeners.count)
        samplePeak = max(samplePeak, listeners.count)
        return (nextID, stream)
    }

    /// Listeners now, and the most at once since the last call (for periodic samples).
    public func sample() -> (listeners: Int, peak: Int) {
        lock.withLock {
            defer { samplePeak = listeners.count }
            return (listeners.count, max(samplePeak, listeners.count))
        }
    }

    /// How many listeners use each player (their User-Agent), most first.
    public func userAgents() -> [(agent: String, listeners: Int)] {
        lock.withLock {
            Dictionary(grouping: listeners.values, by: \.userAgent).map { ($0.key, $0.value.count) }
                .sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
        }
    }

    public func unsubscribe(_ id: Int) {
        lock.withLock { listeners.removeValue(forKey: id)?.continuation.finish() }
    }

    public func close() {
        lock.withLock {
            for listener in listeners.values { listener.continuation.finish() }
            listeners.removeAll()
        }
    }

    /// `bytes` as this listener receives them: with ICY blocks at its own metaint boundaries.
    private func render(_ bytes: [UInt8], for listener: inout Listener) -> [UInt8] {
        defer { listener.position += Int64(bytes.count) }
        guard listener.icy else { return bytes }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 64)
        var index = 0
        while index < bytes.count {
            let n = min(listener.untilMeta, bytes.count - index)
            out.append(contentsOf: bytes[index..<(index + n)])
            index += n
            listener.untilMeta -= n
            if listener.untilMeta == 0 {
                let title = title(at: listener.position + Int64(index))
                if title == listener.lastTitle {
                    out.append(0)
                } else {
                    out.append(contentsOf: Self.metadataBlock(title))
                    listener.lastTitle = title
                }
                listener.untilMeta = Self.metaint
            }
        }
        return out
    }

    /// `StreamTitle='…';` padded to a multiple of 16 bytes, led by its length / 16.
    static func metadataBlock(_ title: String) -> [UInt8] {
        var text = Array("StreamTitle='\(title.replacingOccurrences(of: "'", with: "’"))';".utf8)
        if text.count > 255 * 16 { text = Array(text.prefix(255 * 16 - 2)) + Array("';".utf8) }
        let blocks = (text.count + 15) / 16
        return [UInt8(blocks)] + text + [UInt8](repeating: 0, count: blocks * 16 - text.count)
    }
}

import Foundation

/// One thing to air: a file with what listeners are told about it.
public struct PlayoutItem: Sendable, Hashable, Codable {
    /// The catalog's id for the track (or a jingle's), echoed back in events.
    public var id: String
    public var path: String
    public var title: String
    public var artist: String
    /// The catalog's length; used to start the next decoder early, never to cut the audio.
    public var durationMs: Int
    /// Where to start in the file (a cue-in, or a restart resuming mid-track).
    public var startMs: Int
    /// Where to stop in the file (a cue-out); nil plays to the file's end.
    public var endMs: Int?
    /// The scheduler's own mark (where the item came from), echoed back in events.
    public var tag: String
    /// Gain applied as the item is decoded (loudness normalisation), in dB; 0 leaves it as is.
    public var gainDB: Double = 0
    /// How long the crossfade into this item lasts, and out of it, instead of the station's
    /// (a playlist entry's own fades); nil: the station's.
    public var fadeInMs: Int?
    public var fadeOutMs: Int?

    public init(
        id: String, path: String, title: String, artist: String, durationMs: Int, startMs: Int = 0, endMs: Int? = nil, tag: String = ""
    ) {
        self.id = id
        self.path = path
        self.title = title
        self.artist = artist
        self.durationMs = durationMs
        self.startMs = startMs
        self.endMs = endMs
        self.tag = tag
    }

    /// How long the item should play, by the catalog: from its start to its cue-out or end.
    public var playMs: Int { max(0, min(endMs ?? durationMs, durationMs) - startMs) }

    /// "Artist - Title", the ICY StreamTitle convention players split on.
    public var streamTitle: String { artist.isEmpty ? title : "\(artist) - \(title)" }
}

/// The items waiting to air, filled ahead by whoever schedules (the autoDJ) and taken by the
/// engine's thread without waiting on a database.
public final class PlayoutQueue: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [PlayoutItem] = []

    public init() {}

    public func append(_ item: PlayoutItem) {
        lock.withLock { items.append(item) }
    }

    /// Puts `item` first: a manager's "play next".
    public func prepend(_ item: PlayoutItem) {
        lock.withLock { items.insert(item, at: 0) }
    }

    /// Empties the queue and puts `replacement` in its place (a scheduled change of programme).
    public func replace(with replacement: [PlayoutItem]) {
        lock.withLock { items = replacement }
    }

    public func pop() -> PlayoutItem? {
        lock.withLock { items.isEmpty ? nil : items.removeFirst() }
    }

    public var count: Int { lock.withLock { items.count } }

    /// What airs next, left in the queue.
    public var first: PlayoutItem? { lock.withLock { items.first } }

    public var upcoming: [PlayoutItem] { lock.withLock { items } }
}

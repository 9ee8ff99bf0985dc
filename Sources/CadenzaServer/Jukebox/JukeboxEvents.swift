import Foundation

/// The jukebox's event types: a room changed (a suggestion, a vote, what plays). They go to the
/// room's host; guests' pages follow the room itself.
enum JukeboxEvents {
    struct RoomChange: Encodable, Sendable {
        var slug: String
        var reason: String
        /// For votes: each entry whose score changed, with its new score and state, so pages
        /// update them without reading the whole room again (a party's worth of guests voting).
        var votes: [EntryScore]?
    }

    struct EntryScore: Encodable, Sendable {
        var entryId: String
        var score: Int
        var state: String
    }

    /// A song finished in a room (played out, or skipped): the listens feature makes it the
    /// host's listen when enough of it played.
    struct Played: Codable, Sendable {
        var slug: String
        var trackId: Int64
        var userId: Int64
        var listenedAt: Int64
        var playedMs: Int64
    }

    static let changed = EventType<RoomChange>("jukebox.changed", visibility: .user, subjectType: "room")
    static let played = EventType<Played>("jukebox.played", visibility: .user, subjectType: "room")
    static let all = [changed.descriptor, played.descriptor]
}

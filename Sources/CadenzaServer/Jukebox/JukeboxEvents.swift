import Foundation

/// The jukebox's event types: a room changed (a suggestion, a vote, what plays). They go to the
/// room's host; guests' pages follow the room itself.
enum JukeboxEvents {
    struct RoomChange: Encodable, Sendable {
        var slug: String
        var reason: String
    }

    static let changed = EventType<RoomChange>("jukebox.changed", visibility: .user, subjectType: "room")
    static let all = [changed.descriptor]
}

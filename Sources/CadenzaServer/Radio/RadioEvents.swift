import Foundation

/// The radio feature's event types. A private station's events go to its owner only (the
/// writer narrows them); the rest to every signed-in user.
enum RadioEvents {
    struct StationChange: Encodable, Sendable {
        var slug: String
        var name: String
    }

    static let created = EventType<StationChange>("station.created", visibility: .instance, subjectType: "station")
    static let updated = EventType<StationChange>("station.updated", visibility: .instance, subjectType: "station")
    static let deleted = EventType<StationChange>("station.deleted", visibility: .instance, subjectType: "station")
    static let nowPlaying = EventType<NowPlayingDTO>("station.now_playing", visibility: .instance, subjectType: "station")
    /// A show, an occurrence or a station playlist changed: the calendar and schedule follow.
    static let scheduleChanged = EventType<StationChange>("station.schedule_changed", visibility: .instance, subjectType: "station")
    /// A signed-in listener heard a track on a station long enough for a listen (half of it or
    /// four minutes): the listens feature records it.
    struct Heard: Codable, Sendable {
        var slug: String
        var trackId: Int64
        var userId: Int64
        /// When they began hearing it, milliseconds.
        var listenedAt: Int64
    }

    static let heard = EventType<Heard>("station.heard", visibility: .user, subjectType: "station")
    /// The bus aired the fallback tone: nothing was queued (an empty library, or every file unreadable).
    static let deadAir = EventType<StationChange>("station.dead_air", visibility: .admin, subjectType: "station")

    static let all = [created, updated, deleted, scheduleChanged].map(\.descriptor) + [nowPlaying.descriptor, deadAir.descriptor, heard.descriptor]

    /// The visibility a station's events are written with.
    static func visibility(of station: StationRecord) -> EventVisibility? {
        station.visibility == .private ? .user : nil
    }
}

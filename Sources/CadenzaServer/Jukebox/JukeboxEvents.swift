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

    /// A signed-in guest's suggestion started playing (its audience is that guest).
    struct SuggestionPlaying: Codable, Sendable {
        var slug: String
        var room: String
        var trackId: Int64
    }

    static let suggestionPlaying = EventType<SuggestionPlaying>("jukebox.suggestion_playing", visibility: .user, subjectType: "room")
    static let all = [changed.descriptor, played.descriptor, suggestionPlaying.descriptor]

    /// What notifications say: news only while the song plays.
    static let notifiable = [
        NotifiableEvent(
            type: suggestionPlaying.name, expiresAfterMs: 10 * 60_000, references: { event in event.subjectID.map { [.object("room", $0)] } ?? [] }
        ) { event, db in
            guard let playing = event.decodedPayload(as: SuggestionPlaying.self) else { return nil }
            let names = try await CatalogQueries.trackNames(id: playing.trackId, on: db)
            let song = names.map { "\($0[0]) by \($0[1])" } ?? "your song"
            return EventNotice(title: "Your suggestion is playing in \(playing.room)", body: song, link: "/#/party/\(playing.slug)")
        }
    ]
}

import Foundation
import SQLKit

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

    /// A show starts within ten minutes (announced once per occurrence).
    static let showStarting = EventType<ShowReminders.Starting>("station.show_starting", visibility: .instance, subjectType: "station")

    static let all =
        [created, updated, deleted, scheduleChanged].map(\.descriptor) + [nowPlaying.descriptor, deadAir.descriptor, heard.descriptor]
        + [showStarting.descriptor]

    /// The visibility a station's events are written with.
    static func visibility(of station: StationRecord) -> EventVisibility? {
        station.visibility == .private ? .user : nil
    }
}

extension RadioEvents {
    /// What the process airing `station` announced last, its progress brought up to now; nil when
    /// no process airs it (nobody holds its lease).
    static func lastNowPlaying(_ station: StationRecord, on db: any SQLDatabase) async throws -> NowPlayingDTO? {
        guard try await Leases.holder(RadioStations.leaseKey(station), on: db) != nil,
            let event = try await EventStore.latest(type: nowPlaying.name, subjectID: station.slug, on: db)
        else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            // (Each parse tried on its own: `try?` over both made a date without fractions unreadable.)
            guard
                let date = (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text))
                    ?? (try? Date.ISO8601FormatStyle().parse(text))
            else { throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a date")) }
            return date
        }
        guard var announced = try? decoder.decode(NowPlayingDTO.self, from: Data(event.payload.utf8)) else { return nil }
        if var current = announced.nowPlaying {
            let elapsed = Int(max(0, min(Double(current.durationMs), Date().timeIntervalSince(current.playedAt) * 1000)))
            current.elapsedMs = elapsed
            current.remainingMs = max(0, current.durationMs - elapsed)
            announced.nowPlaying = current
        }
        return announced
    }
}

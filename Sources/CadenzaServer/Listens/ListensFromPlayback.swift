import Fluent
import Foundation
import SQLKit

/// What signed-in listeners heard on a station (`station.heard`) becomes their listens, as a
/// play in the web player does: matched to the track when the listener may see its library.
enum RadioListens {
    struct Heard: Decodable {
        var slug: String
        var trackId: Int64
        var userId: Int64
        var listenedAt: Int64
    }

    static let consumer = EventConsumer(name: "listens.radio-heard", types: ["station.heard"]) { events, tx in
        let table = try await Libraries.visibilityTable(on: tx.sql)
        for event in events {
            guard let heard = try? JSONDecoder().decode(Heard.self, from: Data(event.payload.utf8)),
                let user = try await User.find(heard.userId, on: tx)
            else { continue }
            let visible = Libraries.visibleIDs(userID: heard.userId, isAdmin: user.isAdmin, in: table)
            guard try await CatalogQueries.airableTrack(id: heard.trackId, libraries: visible, on: tx.sql) != nil else { continue }
            try await Plays.record(userID: heard.userId, trackID: heard.trackId, at: heard.listenedAt, client: "Cadenza radio", on: tx.sql)
        }
    }
}

/// Songs that played in a party room become the host's listens, when enough of them played
/// (half, or four minutes).
enum JukeboxListens {
    struct Played: Decodable {
        var trackId: Int64
        var userId: Int64
        var listenedAt: Int64
        var playedMs: Int64
    }

    static let consumer = EventConsumer(name: "listens.jukebox-played", types: ["jukebox.played"]) { events, tx in
        let table = try await Libraries.visibilityTable(on: tx.sql)
        for event in events {
            guard let played = try? JSONDecoder().decode(Played.self, from: Data(event.payload.utf8)),
                let user = try await User.find(played.userId, on: tx)
            else { continue }
            let visible = Libraries.visibleIDs(userID: played.userId, isAdmin: user.isAdmin, in: table)
            guard let track = try await CatalogQueries.airableTrack(id: played.trackId, libraries: visible, on: tx.sql),
                Plays.reachedListen(position: played.playedMs, durationMs: Int64(track.durationMs))
            else { continue }
            try await Plays.record(userID: played.userId, trackID: played.trackId, at: played.listenedAt, client: "Cadenza jukebox", on: tx.sql)
        }
    }
}

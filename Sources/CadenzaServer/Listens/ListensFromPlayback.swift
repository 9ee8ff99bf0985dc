import Fluent
import Foundation
import SQLKit

/// Plays outside the players' own scrobbles become listens: what a signed-in listener heard on
/// a station (`station.heard`) and what played in a party room (`jukebox.played`, the host's).
/// The track is matched only when the listener may see its library.
enum ListensFromPlayback {
    /// What both events carry: whose listen, of which track, since when, and (for rooms) how
    /// much of it played — a station's playout applies the half-or-four-minutes rule itself.
    struct Played: Decodable {
        var trackId: Int64
        var userId: Int64
        var listenedAt: Int64
        var playedMs: Int64?
    }

    static let radio = consumer(name: "listens.radio-heard", type: "station.heard", client: "Cadenza radio")
    static let jukebox = consumer(name: "listens.jukebox-played", type: "jukebox.played", client: "Cadenza jukebox")

    static func consumer(name: String, type: String, client: String) -> EventConsumer {
        EventConsumer(name: name, types: [type]) { events, tx in
            let table = try await Libraries.visibilityTable(on: tx.sql)
            for event in events {
                guard let played = try? JSONDecoder().decode(Played.self, from: Data(event.payload.utf8)),
                    let user = try await User.find(played.userId, on: tx)
                else { continue }
                let visible = Libraries.visibleIDs(userID: played.userId, isAdmin: user.isAdmin, in: table)
                guard let track = try await CatalogQueries.airableTrack(id: played.trackId, libraries: visible, on: tx.sql) else { continue }
                if let ms = played.playedMs, !Plays.reachedListen(position: ms, durationMs: Int64(track.durationMs)) { continue }
                try await Plays.record(userID: played.userId, trackID: played.trackId, at: played.listenedAt, client: client, on: tx.sql)
            }
        }
    }
}

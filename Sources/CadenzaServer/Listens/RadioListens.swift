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

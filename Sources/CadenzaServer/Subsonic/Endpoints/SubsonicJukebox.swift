import Fluent
import Foundation
import SQLKit

/// `jukeboxControl`: DSub's and Ultrasonic's jukebox mode drive the user's active party room
/// (made on first use); the room's speaker page plays it.
enum SubsonicJukebox {
    static let handlers: [String: SubsonicAPI.Handler] = [
        "jukeboxControl": { context in
            do { return try await control(context) } catch let refusal as RoomQueue.Refusal {
                // The room's refusals in the protocol's own error format.
                throw SubsonicError(code: 0, message: refusal.message)
            }
        }
    ]

    static func control(_ context: SubsonicContext) async throws -> SubsonicResult {
        let action = try context.params.require("action")
        let room = try await JukeboxRemote.activeRoom(userID: context.user.userID, username: context.user.username, app: context.app)
        let host = try await RoomGuests.seat(roomID: room.id, userID: context.user.userID, username: context.user.username, on: context.db)
        switch action {
        case "get", "status":
            break
        case "start": try await JukeboxRemote.apply(.start, room: room, host: host, fluent: context.req.db)
        case "stop": try await JukeboxRemote.apply(.stop, room: room, host: host, fluent: context.req.db)
        case "skip":
            // DSub sends the index it skips to; without one, the next song.
            let index = try context.params.int("index", default: -1, range: -1...100_000)
            try await JukeboxRemote.apply(.skip(index: index >= 0 ? index : nil), room: room, host: host, fluent: context.req.db)
        case "clear": try await JukeboxRemote.apply(.clear, room: room, host: host, fluent: context.req.db)
        case "shuffle": try await JukeboxRemote.apply(.shuffle, room: room, host: host, fluent: context.req.db)
        case "add", "set":
            let ids = try await SubsonicPlaylists.songIDs(context.params.all("id"), context: context)
            try await JukeboxRemote.apply(action == "add" ? .add(ids) : .set(ids), room: room, host: host, fluent: context.req.db)
        case "remove":
            let index = try context.params.int("index", default: -1, range: -1...100_000)
            guard index >= 0 else { throw SubsonicError.missing("index") }
            try await JukeboxRemote.apply(.remove(index: index), room: room, host: host, fluent: context.req.db)
        case "setGain":
            // The speaker page plays at this volume.
            guard let gain = context.params.string("gain").flatMap(Double.init), gain.isFinite, (0...1).contains(gain) else {
                throw SubsonicError.invalid("gain must be a number from 0 to 1.")
            }
            try await JukeboxRemote.apply(.setGain(gain), room: room, host: host, fluent: context.req.db)
        default:
            throw SubsonicError.invalid("Unknown jukebox action: \(action.prefix(40)).")
        }
        let status = try await JukeboxRemote.status(room, on: context.db)
        var node = SubsonicNode(action == "get" ? "jukeboxPlaylist" : "jukeboxStatus")
        node.set("currentIndex", status.currentIndex)
        node.set("playing", status.playing)
        node.set("gain", status.gain)
        node.set("position", status.positionSeconds)
        if action == "get" {
            let tracks = try await CatalogQueries.tracks(
                visible: context.visible, paging: .init(limit: max(1, status.trackIDs.count), offset: 0), ids: status.trackIDs, on: context.db)
            let byID = Dictionary(tracks.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            node.add(
                list: "entry", try await SubsonicNodes.songs(status.trackIDs.compactMap { byID[String($0)] }, context: context, name: "entry"))
        }
        return .node(node)
    }
}

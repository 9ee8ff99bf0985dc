import Foundation
import NIOCore
import Vapor

/// `GET /api/v1/rooms/{slug}/events`: the room's changes as Server-Sent Events, for every
/// member (guests without an account included): `event: room` with what changed (a vote carries
/// the entry's new score and state). A guest's events come from the room's fanout: formatted
/// once for the whole room, and written together when several arrive during one write.
enum RoomEventsController {
    /// The jukebox's live fanout, keyed by room slug.
    struct Live: Sendable {
        let fanout = EventFanout(name: "rooms") { event in
            guard event.type == JukeboxEvents.changed.name, let slug = event.subjectID else { return nil }
            return (slug, ByteBuffer(string: "event: room\ndata: \(event.payload)\n\n"))
        }
    }

    @Sendable static func stream(req: Request) async throws -> Response {
        let room = try await RoomsController.room(req)
        _ = try await RoomsController.member(req, room: room)
        guard try req.application.cadenza.hub.isRunning else {
            throw APIError(status: .serviceUnavailable, code: "unavailable", message: "This node does not serve live events.")
        }
        let limits = try req.application.cadenza.state(EventStreamLimits.self).limits
        guard let hold = limits.take([.init(key: "ip:\(req.clientIP)", limit: try req.application.settings.eventStreamsPerAddress)]) else {
            throw APIError(status: .tooManyRequests, code: "too_many_streams", message: "Too many live event streams are open; close one first.")
        }
        let fanout = try req.application.cadenza.state(Live.self).fanout
        let slug = room.slug
        return ServerSentEvents.response(opening: ": connected\nretry: 2000\n\n", logger: req.logger, finished: { hold.release() }) { writer in
            // Joined here, in the body: a response whose body never runs (HEAD) leaves no sink behind.
            let sink = fanout.join(slug)
            defer { fanout.leave(slug, sink) }
            while let bytes = await sink.next() {
                try await writer.write(.buffer(bytes))
            }
        }
    }
}

import Foundation
import NIOCore
import Vapor

/// `GET /api/v1/rooms/{slug}/events`: the room's changes as Server-Sent Events, for every
/// member (guests without an account included): `event: room` with what changed, after which the
/// page reads the room again. Nothing of the room is in the event itself.
enum RoomEventsController {
    @Sendable static func stream(req: Request) async throws -> Response {
        let room = try await RoomsController.room(req)
        _ = try await RoomsController.member(req, room: room)
        let hub = try req.application.cadenza.hub
        guard hub.isRunning else {
            throw APIError(status: .serviceUnavailable, code: "unavailable", message: "This node does not serve live events.")
        }
        let limits = try req.application.cadenza.state(EventStreamLimits.self).limits
        guard let hold = limits.take([.init(key: "ip:\(req.clientIP)", limit: try req.application.settings.eventStreamsPerAddress)]) else {
            throw APIError(status: .tooManyRequests, code: "too_many_streams", message: "Too many live event streams are open; close one first.")
        }
        let (id, events) = hub.subscribe()
        let slug = room.slug
        let response = Response(status: .ok)
        response.headers.contentType = HTTPMediaType(type: "text", subType: "event-stream", parameters: ["charset": "utf-8"])
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-cache")
        response.headers.replaceOrAdd(name: "X-Accel-Buffering", value: "no")
        response.body = .init(asyncStream: { writer in
            do {
                try await writer.write(.buffer(ByteBuffer(string: ": connected\nretry: 2000\n\n")))
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for await event in events where event.type == JukeboxEvents.changed.name && event.subjectID == slug {
                            try await writer.write(.buffer(ByteBuffer(string: "event: room\ndata: \(event.payload)\n\n")))
                        }
                    }
                    group.addTask {
                        while true {
                            try await Task.sleep(for: .seconds(15))
                            try await writer.write(.buffer(ByteBuffer(string: ": ping\n\n")))
                        }
                    }
                    try await group.next()
                    group.cancelAll()
                }
                try await writer.write(.end)
            } catch {
                try? await writer.write(.end)
            }
            hub.unsubscribe(id)
            hold.release()
        })
        return response
    }
}

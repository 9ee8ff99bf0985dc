import NIOWebSocket
import NIOCore
import Vapor

/// The live event stream, as Server-Sent Events and as WebSocket.
enum EventsController {
    /// `Last-Event-ID` (header, or `lastEventId` query for clients that cannot set headers).
    static func lastEventID(_ req: Request) throws -> Int64? {
        guard let raw = req.headers.first(name: "Last-Event-ID") ?? req.query[String.self, at: "lastEventId"] else { return nil }
        guard let id = Int64(raw.trimmingCharacters(in: .whitespaces)), id >= 0 else {
            throw APIError.badRequest("Last-Event-ID must be an event id.")
        }
        return id
    }

    /// A client that names no position starts at the newest event, so that position can be handed
    /// to it at once (see `sse`) and anything committed meanwhile still reaches it.
    static func feed(_ req: Request) throws -> EventFeed {
        let viewer = try req.requireUser()
        let hub = try req.application.cadenza.hub
        guard hub.isRunning else {
            throw APIError(status: .serviceUnavailable, code: "unavailable", message: "This node does not serve live events.")
        }
        return EventFeed(hub: hub, db: req.sql, viewer: viewer.viewer, lastEventID: try lastEventID(req) ?? hub.latestID)
    }

    struct EventTypeDTO: Content {
        var name: String
        var visibility: String
        var subjectType: String?
    }

    /// Every event type the features declared: the names live events carry and rules match on.
    @Sendable static func types(req: Request) async throws -> [EventTypeDTO] {
        _ = try req.requireUser()
        return try req.application.cadenza.events.types.map {
            EventTypeDTO(name: $0.name, visibility: $0.visibility.rawValue, subjectType: $0.subjectType)
        }
    }

    /// A place for one more open stream of this user and this address, or 429.
    static func hold(_ req: Request) throws -> OpenLimits.Hold {
        let viewer = try req.requireUser()
        let settings = try req.application.settings
        let limits = try req.application.cadenza.state(EventStreamLimits.self).limits
        guard
            let hold = limits.take([
                .init(key: "user:\(viewer.userID)", limit: settings.eventStreamsPerUser),
                .init(key: "ip:\(req.clientIP)", limit: settings.eventStreamsPerAddress),
            ])
        else {
            throw APIError(status: .tooManyRequests, code: "too_many_streams", message: "Too many live event streams are open; close one first.")
        }
        return hold
    }

    @Sendable static func sse(req: Request) async throws -> Response {
        let feed = try feed(req)
        let hold = try hold(req)
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        // The opening's `id` (a block without data: no event is dispatched) gives a client that
        // has not had an event yet a position to reconnect from.
        return ServerSentEvents.response(
            opening: ": connected\nretry: 2000\nid: \(feed.lastEventID ?? 0)\n\n", logger: req.logger, finished: { hold.release() }
        ) { writer in
            for try await event in feed {
                let data = String(decoding: try encoder.encode(event.toDTO()), as: UTF8.self)
                try await writer.write(.buffer(ByteBuffer(string: "id: \(event.id)\nevent: \(event.type)\ndata: \(data)\n\n")))
            }
        }
    }

    /// A plain GET (no `Upgrade: websocket`) is told to upgrade, not answered "101" with nothing behind it.
    struct RequireUpgrade: AsyncMiddleware {
        func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
            guard request.headers[.upgrade].contains(where: { $0.lowercased().contains("websocket") }) else {
                throw APIError(
                    status: .upgradeRequired, code: "upgrade_required", message: "Open this with a WebSocket client (Upgrade: websocket).")
            }
            return try await next.respond(to: request)
        }
    }

    @Sendable static func websocket(req: Request, ws: WebSocket) async {
        let feed: EventFeed
        let hold: OpenLimits.Hold
        do {
            feed = try self.feed(req)
            hold = try self.hold(req)
        } catch {
            req.logger.notice("websocket refused", metadata: ["reason": .string("\(error)")])
            try? await ws.close(code: .policyViolation)
            return
        }
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        let task = Task {
            do {
                for try await event in feed {
                    try await ws.send(String(decoding: try encoder.encode(event.toDTO()), as: UTF8.self))
                }
            } catch {
                req.logger.debug("websocket feed ended", metadata: ["error": .string("\(error)")])
            }
            try? await ws.close()
        }
        ws.onClose.whenComplete { _ in
            task.cancel()
            hold.release()
        }
    }
}

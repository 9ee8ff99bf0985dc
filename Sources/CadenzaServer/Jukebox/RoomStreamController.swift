import Foundation
import Vapor

/// `GET /api/v1/rooms/{slug}/stream.mp3`: a stream-mode room's mount, for any player. A member's
/// browser plays it with its session or guest cookie; a player or smart speaker is given the
/// host's link, which carries the join code (whoever has the join link may join anyway).
enum RoomStreamController {
    @Sendable static func listen(req: Request) async throws -> Response {
        let room = try await RoomsController.room(req)
        if let code = req.query[String.self, at: "code"] {
            guard code.count <= 100, let expected = try req.application.secretBox.open(room.joinCodeSealed),
                Secrets.equal(Secrets.hash(code), Secrets.hash(expected))
            else { throw APIError.forbidden("That link is no longer valid; ask the host for the new one.") }
        } else {
            let member = try await RoomsController.member(req, room: room)
            if member.guest?.banned == true { throw APIError.forbidden("The host has removed you from this room.") }
        }
        guard room.playback == .stream, !room.closed else { throw APIError.notFound("Stream") }
        guard let stream = await (try req.application.cadenza.state(RoomStreams.self)).stream(for: room, app: req.application, patience: .seconds(10))
        else {
            throw APIError(status: .serviceUnavailable, code: "unavailable", message: "Another node plays the rooms' streams.")
        }
        guard
            let response = MountResponse.listen(
                req, to: stream.mount, headers: [("icy-name", MountResponse.headerSafe(room.name)), ("icy-pub", "0")])
        else {
            throw APIError(status: .serviceUnavailable, code: "listener_limit", message: "The room's stream has as many listeners as it can take.")
        }
        return response
    }

    /// The mount's address: with the code for the host (a player has no cookie), without for a guest.
    static func url(_ req: Request, slug: String, code: String?) throws -> String {
        let path = "/api/v1/rooms/\(slug)/stream.mp3"
        guard let code else { return path }
        return "\(try RoomInvite.base(req))\(path)?code=\(code.addingPercentEncoding(withAllowedCharacters: RoomInvite.unreserved) ?? "")"
    }
}

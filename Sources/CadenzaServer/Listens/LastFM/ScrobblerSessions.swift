import Fluent
import Foundation
import SQLKit
import Vapor

/// Last.fm and AudioScrobbler sessions: listed and revocable by their owner, and revoked when
/// the owner changes their password (unless they chose to keep them).
enum ScrobblerSessions {
    struct SessionDTO: Content {
        /// The first 16 hex digits of the key's hash: names the session, reveals nothing of the key.
        var id: String
        var `protocol`: String
        var apiKey: String?
        var createdAt: Date
    }

    @Sendable static func list(req: Request) async throws -> [SessionDTO] {
        let viewer = try req.requireUser()
        return try await req.sql.raw(
            """
            SELECT key_hash, protocol, api_key, created_at FROM scrobble_sessions WHERE user_id = \(bind: viewer.userID) ORDER BY created_at
            """
        ).all().map { row in
            SessionDTO(
                id: String(try row.decode(column: "key_hash", as: String.self).prefix(16)),
                protocol: try row.decode(column: "protocol", as: String.self) == "lastfm" ? "lastfm" : "audioscrobbler",
                apiKey: try row.decode(column: "api_key", as: String?.self),
                createdAt: Clock.date(try row.decode(column: "created_at", as: Int64.self)))
        }
    }

    @Sendable static func revoke(req: Request) async throws -> HTTPStatus {
        let viewer = try req.requireUser()
        guard let id = req.parameters.get("id"), id.count == 16, id.allSatisfy(\.isHexDigit) else { throw APIError.notFound("Session") }
        let deleted = try await req.db.writeTransaction { tx in
            try await tx.sql.raw(
                """
                DELETE FROM scrobble_sessions WHERE user_id = \(bind: viewer.userID) AND substr(key_hash, 1, 16) = \(bind: id.lowercased())
                RETURNING user_id
                """
            ).all().count
        }
        guard deleted > 0 else { throw APIError.notFound("Session") }
        return .noContent
    }

    static func revokeAll(userID: Int64, on db: any SQLDatabase) async throws {
        try await db.raw("DELETE FROM scrobble_sessions WHERE user_id = \(bind: userID)").run()
    }

    /// Reads password changes from the event log: the revocation commits with the consumer's
    /// position, so it happens once, even if this process dies mid-way.
    static let revokeOnPasswordChange = EventConsumer(
        name: "listens.scrobbler-sessions", types: [AccountsEvents.passwordChanged.name]
    ) { events, tx in
        for event in events {
            guard let userID = event.actorID,
                let change = try? JSONDecoder().decode(AccountsEvents.PasswordChanged.self, from: Data(event.payload.utf8)),
                change.revokeScrobblers
            else { continue }
            try await revokeAll(userID: userID, on: tx.sql)
        }
    }
}

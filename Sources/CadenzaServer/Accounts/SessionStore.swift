import Fluent
import SQLKit
import Vapor

/// Web sessions: an HttpOnly cookie carries a random token; the database keeps its hash and the
/// hash of the CSRF token that unsafe requests must echo in `X-CSRF-Token`.
enum SessionStore {
    static let cookieName = "cadenza_session"
    static let csrfCookieName = "cadenza_csrf"
    static let csrfHeader = "X-CSRF-Token"

    struct NewSession: Sendable {
        var token: String
        var csrfToken: String
        var expiresAt: Int64
    }

    static func create(userID: Int64, userAgent: String?, lifetime: TimeInterval, on db: any SQLDatabase) async throws -> NewSession {
        let token = Secrets.randomToken(), csrf = Secrets.randomToken()
        let now = Clock.nowMillis()
        let expires = now + Int64(lifetime * 1000)
        try await db.insert(into: "sessions")
            .columns("user_id", "token_hash", "csrf_hash", "created_at", "expires_at", "user_agent")
            .values(
                SQLBind(userID), SQLBind(Secrets.hash(token)), SQLBind(Secrets.hash(csrf)), SQLBind(now),
                SQLBind(expires), SQLBind(userAgent.map { String($0.prefix(255)) })
            )
            .run()
        return NewSession(token: token, csrfToken: csrf, expiresAt: expires)
    }

    static func principal(forCookie token: String, on db: any SQLDatabase) async throws -> Principal? {
        let row = try await db.raw(
            """
            SELECT s.id, s.csrf_hash, u.id AS user_id, u.username, u.role FROM sessions s
            JOIN users u ON u.id = s.user_id
            WHERE s.token_hash = \(bind: Secrets.hash(token)) AND s.expires_at > \(bind: Clock.nowMillis())
            """
        ).first()
        guard let row else { return nil }
        return Principal(
            userID: try row.decode(column: "user_id", as: Int64.self),
            username: try row.decode(column: "username", as: String.self),
            role: User.Role(rawValue: try row.decode(column: "role", as: String.self)) ?? .user,
            method: .session(
                id: try row.decode(column: "id", as: Int64.self),
                csrfHash: try row.decode(column: "csrf_hash", as: String.self))
        )
    }

    static func delete(id: Int64, on db: any SQLDatabase) async throws {
        try await db.delete(from: "sessions").where("id", .equal, id).run()
    }

    /// Signs out every session of a user but `keeping` (the one that changed the password); returns how many.
    static func deleteOthers(userID: Int64, keeping: Int64?, on db: any SQLDatabase) async throws -> Int {
        try await db.raw(
            """
            DELETE FROM sessions WHERE user_id = \(bind: userID) AND id <> \(bind: keeping ?? 0) RETURNING id
            """
        ).all().count
    }

    static func deleteAll(userID: Int64, on db: any SQLDatabase) async throws {
        try await db.delete(from: "sessions").where("user_id", .equal, userID).run()
    }

    static func deleteExpired(on db: any SQLDatabase) async throws {
        try await db.delete(from: "sessions").where("expires_at", .lessThanOrEqual, Clock.nowMillis()).run()
    }
}

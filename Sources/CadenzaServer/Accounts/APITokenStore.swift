import Fluent
import SQLKit
import Vapor

/// Personal API tokens: shown once at creation, stored as SHA-256, revocable.
enum APITokenStore {
    static let prefix = "cdz_"

    struct TokenDTO: Content {
        var id: String
        var name: String
        var prefix: String
        var createdAt: Date
        var lastUsedAt: Date?
        var expiresAt: Date?
        var scope: TokenScope
        /// Present only in the response that created the token.
        var token: String?
    }

    static func create(userID: Int64, name: String, expiresAt: Int64?, scope: TokenScope = .full, on db: any SQLDatabase) async throws -> TokenDTO {
        let token = prefix + Secrets.randomToken()
        let now = Clock.nowMillis()
        let shown = String(token.prefix(prefix.count + 6))
        let row = try await db.insert(into: "api_tokens")
            .columns("user_id", "name", "token_hash", "prefix", "created_at", "expires_at", "scope")
            .values(
                SQLBind(userID), SQLBind(name), SQLBind(Secrets.hash(token)), SQLBind(shown), SQLBind(now), SQLBind(expiresAt),
                SQLBind(scope.rawValue)
            )
            .returning("id")
            .first()
        let id = try row?.decode(column: "id", as: Int64.self) ?? 0
        return TokenDTO(
            id: String(id), name: name, prefix: shown, createdAt: Clock.date(now), lastUsedAt: nil,
            expiresAt: expiresAt.map(Clock.date), scope: scope, token: token)
    }

    static func list(userID: Int64, on db: any SQLDatabase) async throws -> [TokenDTO] {
        try await db.raw(
            """
            SELECT id, name, prefix, created_at, last_used_at, expires_at, scope FROM api_tokens
            WHERE user_id = \(bind: userID) AND revoked_at IS NULL ORDER BY id
            """
        ).all().map { row in
            TokenDTO(
                id: String(try row.decode(column: "id", as: Int64.self)),
                name: try row.decode(column: "name", as: String.self),
                prefix: try row.decode(column: "prefix", as: String.self),
                createdAt: Clock.date(try row.decode(column: "created_at", as: Int64.self)),
                lastUsedAt: try row.decode(column: "last_used_at", as: Int64?.self).map(Clock.date),
                expiresAt: try row.decode(column: "expires_at", as: Int64?.self).map(Clock.date),
                scope: TokenScope(rawValue: try row.decode(column: "scope", as: String.self)) ?? .listens,
                token: nil)
        }
    }

    /// Revokes every live token of a user (after a password change, when asked); returns how many.
    static func revokeAll(userID: Int64, on db: any SQLDatabase) async throws -> Int {
        try await db.raw(
            """
            UPDATE api_tokens SET revoked_at = \(bind: Clock.nowMillis())
            WHERE user_id = \(bind: userID) AND revoked_at IS NULL RETURNING id
            """
        ).all().count
    }

    /// Revokes one of the user's own tokens; `false` when there is no such live token.
    static func revoke(id: Int64, userID: Int64, on db: any SQLDatabase) async throws -> Bool {
        let rows = try await db.raw(
            """
            UPDATE api_tokens SET revoked_at = \(bind: Clock.nowMillis())
            WHERE id = \(bind: id) AND user_id = \(bind: userID) AND revoked_at IS NULL RETURNING id
            """
        ).all()
        return !rows.isEmpty
    }

    static func principal(forToken token: String, on db: any SQLDatabase) async throws -> Principal? {
        try await lookup(token: token, on: db)?.principal
    }

    /// The token's principal and its user row (`user_id`, `username`, `role`, `time_zone`,
    /// `listens_visibility`), so callers that need the user's settings need no second query.
    static func lookup(token: String, on db: any SQLDatabase) async throws -> (principal: Principal, user: any SQLRow)? {
        let now = Clock.nowMillis()
        let row = try await db.raw(
            """
            SELECT t.id, t.last_used_at, t.scope, u.id AS user_id, u.username, u.role, u.time_zone, u.listens_visibility FROM api_tokens t
            JOIN users u ON u.id = t.user_id
            WHERE t.token_hash = \(bind: Secrets.hash(token)) AND t.revoked_at IS NULL
              AND (t.expires_at IS NULL OR t.expires_at > \(bind: now))
            """
        ).first()
        guard let row else { return nil }
        let id = try row.decode(column: "id", as: Int64.self)
        // Touch at most once a minute: a scrobbler calling every few seconds should not write each time.
        if (try row.decode(column: "last_used_at", as: Int64?.self) ?? 0) < now - 60_000 {
            try await db.update("api_tokens").set("last_used_at", to: now).where("id", .equal, id).run()
        }
        let principal = Principal(
            userID: try row.decode(column: "user_id", as: Int64.self),
            username: try row.decode(column: "username", as: String.self),
            role: User.Role(rawValue: try row.decode(column: "role", as: String.self)) ?? .user,
            method: .token(id: id),
            // An unknown stored scope grants the least.
            scope: TokenScope(rawValue: try row.decode(column: "scope", as: String.self)) ?? .listens
        )
        return (principal, row)
    }
}

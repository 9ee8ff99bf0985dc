import Fluent
import SQLKit
import Vapor

/// Invite links: an administrator creates one for a role; whoever opens it picks a username and
/// password once, before it expires. Only the token's hash is kept, like API tokens.
enum Invites {
    struct Record: Content {
        var id: String
        var role: User.Role
        var createdBy: String?
        var createdAt: Date
        var expiresAt: Date
        /// Only in the creation response.
        var token: String?
        var url: String?
    }

    static let maxHours = 720

    static func create(role: User.Role, hours: Int, by admin: Int64, publicURL: String, on db: any SQLDatabase) async throws -> Record {
        let token = Secrets.randomToken(bytes: 24)
        let now = Clock.nowMillis(), expires = now + Int64(hours) * 3_600_000
        let row = try await db.raw(
            """
            INSERT INTO invites (token_hash, role, created_by, created_at, expires_at)
            VALUES (\(bind: Secrets.hash(token)), \(bind: role.rawValue), \(bind: admin), \(bind: now), \(bind: expires)) RETURNING id
            """
        ).first()
        let id = try row?.decode(column: "id", as: Int64.self) ?? 0
        // A fragment, so the token never reaches server logs or a Referer header.
        return Record(
            id: String(id), role: role, createdBy: String(admin), createdAt: Clock.date(now), expiresAt: Clock.date(expires),
            token: token, url: "\(publicURL)/#/join/\(token)")
    }

    static func pending(on db: any SQLDatabase) async throws -> [Record] {
        try await db.raw(
            """
            SELECT id, role, created_by, created_at, expires_at FROM invites
            WHERE used_at IS NULL AND expires_at > \(bind: Clock.nowMillis()) ORDER BY created_at DESC
            """
        ).all().map { row in
            Record(
                id: String(try row.decode(column: "id", as: Int64.self)),
                role: User.Role(rawValue: try row.decode(column: "role", as: String.self)) ?? .user,
                createdBy: try row.decode(column: "created_by", as: Int64?.self).map(String.init),
                createdAt: Clock.date(try row.decode(column: "created_at", as: Int64.self)),
                expiresAt: Clock.date(try row.decode(column: "expires_at", as: Int64.self)))
        }
    }

    static func revoke(id: Int64, on db: any SQLDatabase) async throws -> Bool {
        try await db.raw("DELETE FROM invites WHERE id = \(bind: id) AND used_at IS NULL RETURNING id").first() != nil
    }

    static var invalid: APIError {
        APIError(status: .notFound, code: "invalid_invite", message: "This invite link is invalid, used or expired; ask for a new one.")
    }

    /// The role an unused, unexpired token grants.
    static func role(token: String, on db: any SQLDatabase) async throws -> (role: User.Role, expiresAt: Int64) {
        guard token.utf8.count <= 200,
            let row = try await db.raw(
                """
                SELECT role, expires_at FROM invites
                WHERE token_hash = \(bind: Secrets.hash(token)) AND used_at IS NULL AND expires_at > \(bind: Clock.nowMillis())
                """
            ).first(), let role = User.Role(rawValue: try row.decode(column: "role", as: String.self))
        else { throw invalid }
        return (role, try row.decode(column: "expires_at", as: Int64.self))
    }

    /// Creates the account and spends the invite in one transaction: two people racing for one link get one account.
    static func accept(token: String, username: String, passwordHash: String, on db: any Database) async throws -> User {
        try await db.writeTransaction { tx in
            let (role, _) = try await role(token: token, on: tx.sql)
            try await User.requireAvailable(username, on: tx.sql)
            let user = User(username: username, passwordHash: passwordHash, role: role)
            try await user.create(on: tx)
            try await AccountsEvents.appendCreated(user, on: tx.sql)
            let spent = try await tx.sql.raw(
                """
                UPDATE invites SET used_at = \(bind: Clock.nowMillis()), used_by = \(bind: try user.requireID())
                WHERE token_hash = \(bind: Secrets.hash(token)) AND used_at IS NULL RETURNING id
                """
            ).first()
            guard spent != nil else { throw invalid }
            return user
        }
    }
}

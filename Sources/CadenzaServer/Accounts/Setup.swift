import Fluent
import SQLKit
import Vapor

/// First run: while no account exists, a one-time setup link (printed at start) lets the
/// person installing Cadenza create the first administrator from a browser.
enum Setup {
    static let stateKey = "setup_token"
    static let lifetime: Int64 = 24 * 3_600_000

    static func announceIfNeeded(_ app: Application) async throws {
        guard try await User.query(on: app.db).count() == 0 else { return }
        let token = Secrets.randomToken(bytes: 24)
        let now = Clock.nowMillis()
        let value = "\(Secrets.hash(token)):\(now + lifetime)"
        try await app.sql.raw(
            """
            INSERT INTO server_state (key, value, updated_at) VALUES (\(bind: stateKey), \(bind: value), \(bind: now))
            ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
            """
        ).run()
        let url = "\(try app.settings.publicURL)/setup#token=\(token)"
        // Printed, not only logged: this is the one thing a new user must see.
        let banner = """

            No accounts yet. Create the first administrator within 24 hours at:

                \(url)

            (or offline: cadenza user create --admin USERNAME)

            """
        FileHandle.standardOutput.write(Data((banner + "\n").utf8))
        app.logger.notice("first-run setup link printed")
    }

    /// Whether `token` is the live setup token; throws 403 when it is not. Read-only: `complete`
    /// checks again inside its transaction.
    static func check(token: String, on sql: any SQLDatabase) async throws {
        let users = try await sql.raw("SELECT COUNT(*) AS n FROM users").first()?.decode(column: "n", as: Int.self) ?? 0
        guard users == 0 else { throw APIError.conflict("Setup is already complete; sign in instead.") }
        let row = try await sql.raw("SELECT value FROM server_state WHERE key = \(bind: stateKey)").first()
        let stored = try row?.decode(column: "value", as: String.self).split(separator: ":")
        guard let stored, stored.count == 2, let expires = Int64(stored[1]), expires > Clock.nowMillis(),
            Secrets.equal(String(stored[0]), Secrets.hash(token))
        else {
            throw APIError(
                status: .forbidden, code: "invalid_setup_token",
                message: "The setup link is invalid or expired; restart the server for a new one.")
        }
    }

    /// Consumes the setup token and creates the first administrator, atomically.
    static func complete(token: String, username: String, passwordHash: String, on db: any Database) async throws -> User {
        try await db.writeTransaction { tx in
            let sql = tx.sql
            try await check(token: token, on: sql)
            let user = User(username: username, passwordHash: passwordHash, role: .admin)
            try await user.create(on: tx)
            try await AccountsEvents.appendCreated(user, on: tx.sql)
            try await sql.delete(from: "server_state").where("key", .equal, stateKey).run()
            return user
        }
    }
}

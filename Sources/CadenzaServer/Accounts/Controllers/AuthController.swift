import SQLKit
import Fluent
import Vapor

/// Sign-in, sign-out, first-run setup and the caller's own account.
enum AuthController {
    struct Credentials: Content {
        var username: String
        var password: String
    }

    struct SetupRequest: Content {
        var token: String
        var username: String
        var password: String
    }

    struct SessionResponse: Content {
        var user: UserDTO
        /// Echo this in `X-CSRF-Token` on unsafe requests made with the session cookie.
        var csrfToken: String?
    }

    struct PasswordChange: Content {
        var currentPassword: String
        var newPassword: String
        /// Also revoke every API token (default false: scrobblers keep working).
        var revokeTokens: Bool?
        /// Also sign out Last.fm and AudioScrobbler sessions (default true).
        var revokeScrobblers: Bool?
    }

    struct PasswordChanged: Content {
        var signedOutSessions: Int
        var revokedTokens: Int
        var revokedScrobblers: Bool
    }

    @Sendable static func login(req: Request) async throws -> Response {
        let body = try await req.decodeJSONBody(Credentials.self)
        let throttle = try LoginThrottle(req, username: body.username)
        if let wait = try await throttle.reserve(on: req.sql) { throw APIError.tooManyRequests(retryAfter: wait) }
        guard body.username.count <= 64, body.password.utf8.count <= 1024,
            let user = try await User.find(username: body.username, on: req.db),
            try await req.application.verifyPassword(body.password, hash: user.passwordHash)
        else {
            throw APIError(status: .unauthorized, code: "invalid_credentials", message: "Wrong username or password.")
        }
        try await throttle.succeeded(on: req.sql)
        return try await startSession(for: user, req: req, status: .ok)
    }

    static func startSession(for user: User, req: Request, status: HTTPResponseStatus) async throws -> Response {
        let settings = try req.application.settings
        let session = try await SessionStore.create(
            userID: try user.requireID(), userAgent: req.headers.first(name: .userAgent),
            lifetime: settings.sessionLifetime, on: req.sql)
        let response = Response(status: status)
        try response.content.encode(SessionResponse(user: try user.toDTO(), csrfToken: session.csrfToken))
        let maxAge = Int(settings.sessionLifetime)
        response.cookies[SessionStore.cookieName] = HTTPCookies.Value(
            string: session.token, maxAge: maxAge, path: "/", isSecure: settings.secureCookies,
            isHTTPOnly: true, sameSite: .lax)
        // Readable by the web app so it can send the header after a reload; useless to other sites.
        response.cookies[SessionStore.csrfCookieName] = HTTPCookies.Value(
            string: session.csrfToken, maxAge: maxAge, path: "/", isSecure: settings.secureCookies,
            isHTTPOnly: false, sameSite: .strict)
        return response
    }

    @Sendable static func logout(req: Request) async throws -> Response {
        let principal = try req.requireUser()
        if case .session(let id, _) = principal.method {
            try await SessionStore.delete(id: id, on: req.sql)
        }
        let response = Response(status: .noContent)
        response.cookies[SessionStore.cookieName] = .expired
        response.cookies[SessionStore.csrfCookieName] = .expired
        return response
    }

    @Sendable static func me(req: Request) async throws -> UserDTO {
        let principal = try req.requireUser()
        guard let user = try await User.find(principal.userID, on: req.db) else { throw APIError.unauthorized() }
        return try user.toDTO()
    }

    /// A new password signs out every other web session at once; API tokens and scrobbler
    /// sessions go too when asked (a leaked password should not leave a way in behind it).
    @Sendable static func changePassword(req: Request) async throws -> PasswordChanged {
        let principal = try req.requireUser()
        let body = try await req.decodeJSON(PasswordChange.self)
        try User.validate(password: body.newPassword)
        guard let user = try await User.find(principal.userID, on: req.db) else { throw APIError.unauthorized() }
        guard try await req.application.verifyPassword(body.currentPassword, hash: user.passwordHash) else {
            throw APIError(status: .forbidden, code: "invalid_credentials", message: "The current password is wrong.")
        }
        let hash = try await req.application.hashPassword(body.newPassword)
        let keeping: Int64? = if case .session(let id, _) = principal.method { id } else { nil }
        let revokeTokens = body.revokeTokens ?? false, revokeScrobblers = body.revokeScrobblers ?? true
        let userID = principal.userID
        let outcome = try await req.db.writeTransaction { tx in
            let sql = tx.sql
            try await sql.update("users").set("password_hash", to: hash).set("updated_at", to: Clock.nowMillis())
                .where("id", .equal, userID).run()
            let sessions = try await SessionStore.deleteOthers(userID: userID, keeping: keeping, on: sql)
            let tokens = revokeTokens ? try await APITokenStore.revokeAll(userID: userID, on: sql) : 0
            let payload = AccountsEvents.PasswordChanged(signedOutSessions: sessions, revokedTokens: tokens, revokeScrobblers: revokeScrobblers)
            try await EventStore.append(
                AccountsEvents.passwordChanged, payload: payload, actorID: userID, subjectID: String(userID), audienceUserID: userID, on: sql)
            return PasswordChanged(signedOutSessions: sessions, revokedTokens: tokens, revokedScrobblers: revokeScrobblers)
        }
        try await req.application.tokenCache.forget(userID: userID, on: req.sql)
        return outcome
    }

    @Sendable static func setup(req: Request) async throws -> Response {
        let body = try await req.decodeJSONBody(SetupRequest.self)
        try User.validate(username: body.username)
        try User.validate(password: body.password)
        guard body.token.count <= 128 else { throw APIError.badRequest("The setup token is malformed.") }
        // The token is checked before bcrypt runs: without it, a request costs no hashing.
        try await Setup.check(token: body.token, on: req.sql)
        let hash = try await req.application.hashPassword(body.password)
        let user = try await Setup.complete(token: body.token, username: body.username, passwordHash: hash, on: req.db)
        req.logger.notice("first administrator created", metadata: ["username": .string(user.username)])
        return try await startSession(for: user, req: req, status: .created)
    }
}

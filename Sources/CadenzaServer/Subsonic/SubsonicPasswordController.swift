import Vapor

/// `/api/v1/me/subsonic-password`: the separate password Subsonic apps (and Last.fm and
/// AudioScrobbler clients) sign in with. Stored encrypted, never the login password. Seeing or
/// changing it takes the account password: a session or token alone could otherwise read it back.
enum SubsonicPasswordController {
    struct Body: Content {
        /// The account password.
        var currentPassword: String?
        /// Omit to have the server generate one.
        var password: String?
    }

    struct Shown: Content {
        var password: String
    }

    struct State: Content {
        var set: Bool
    }

    @Sendable static func state(req: Request) async throws -> State {
        let user = try req.requireUser()
        return State(set: try await SubsonicAuth.subsonicPassword(userID: user.userID, app: req.application, on: req.sql) != nil)
    }

    @Sendable static func reveal(req: Request) async throws -> Shown {
        let user = try req.requireUser()
        try await req.confirmPassword(try await req.decodeJSON(Body.self).currentPassword)
        guard let password = try await SubsonicAuth.subsonicPassword(userID: user.userID, app: req.application, on: req.sql) else {
            throw APIError.notFound("App password")
        }
        return Shown(password: password)
    }

    @Sendable static func set(req: Request) async throws -> Shown {
        let user = try req.requireUser()
        let body = try await req.decodeJSON(Body.self)
        try await req.confirmPassword(body.currentPassword)
        let password = body.password ?? Secrets.randomToken(bytes: 12)
        guard (8...256).contains(password.count) else {
            throw APIError.unprocessable("App passwords are 8 to 256 characters.", code: "invalid_password")
        }
        try await SubsonicAuth.setSubsonicPassword(userID: user.userID, password: password, app: req.application, on: req.sql)
        return Shown(password: password)
    }
}

import Vapor

/// `GET|PUT /api/v1/me/subsonic-password`: the separate password Subsonic apps sign in with.
/// Shown to its owner (apps need it typed in) and stored encrypted, never the login password.
enum SubsonicPasswordController {
    struct Body: Content {
        /// Omit to have the server generate one.
        var password: String?
    }

    struct Shown: Content {
        var password: String?
    }

    @Sendable static func show(req: Request) async throws -> Shown {
        let user = try req.requireUser()
        return Shown(password: try await SubsonicAuth.subsonicPassword(userID: user.userID, app: req.application, on: req.sql))
    }

    @Sendable static func set(req: Request) async throws -> Shown {
        let user = try req.requireUser()
        let body = req.body.data.map { $0.readableBytes > 0 } == true ? try await req.decodeJSON(Body.self) : Body(password: nil)
        let password = body.password ?? Secrets.randomToken(bytes: 12)
        guard (8...256).contains(password.count) else {
            throw APIError.unprocessable("Subsonic passwords are 8 to 256 characters.", code: "invalid_password")
        }
        try await SubsonicAuth.setSubsonicPassword(userID: user.userID, password: password, app: req.application, on: req.sql)
        return Shown(password: password)
    }
}

import Vapor

/// The caller's personal API tokens.
enum TokensController {
    struct CreateRequest: Content {
        var name: String
        /// Days until the token stops working; none means it lasts until revoked.
        var expiresInDays: Int?
        /// What the token may be used for (default `full`).
        var scope: String?
    }

    @Sendable static func list(req: Request) async throws -> [APITokenStore.TokenDTO] {
        let principal = try req.requireUser()
        return try await APITokenStore.list(userID: principal.userID, on: req.sql)
    }

    @Sendable static func create(req: Request) async throws -> Response {
        let principal = try req.requireUser()
        let body = try await req.decodeJSON(CreateRequest.self)
        let name = body.name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...100).contains(name.count) else {
            throw APIError.unprocessable("Token names are 1 to 100 characters.", code: "invalid_name")
        }
        if let days = body.expiresInDays, !(1...3650).contains(days) {
            throw APIError.unprocessable("expiresInDays must be between 1 and 3650.", code: "invalid_expiry")
        }
        guard let scope = TokenScope(rawValue: body.scope ?? "full") else {
            throw APIError.unprocessable("scope must be full, listens or subsonic.", code: "invalid_scope")
        }
        let settings = try req.application.settings
        let verdict = try await RateLimiter.hit("tokens:user:\(principal.userID)", window: settings.rateLimitWindow, on: req.sql)
        if verdict.count > 30 { throw APIError.tooManyRequests(retryAfter: verdict.retryAfter) }
        let expires = body.expiresInDays.map { Clock.nowMillis() + Int64($0) * 86_400_000 }
        let token = try await APITokenStore.create(userID: principal.userID, name: name, expiresAt: expires, scope: scope, on: req.sql)
        let response = Response(status: .created)
        try response.content.encode(token)
        return response
    }

    @Sendable static func revoke(req: Request) async throws -> HTTPStatus {
        let principal = try req.requireUser()
        let id = try req.int64Parameter("id")
        guard try await APITokenStore.revoke(id: id, userID: principal.userID, on: req.sql) else {
            throw APIError.notFound("Token")
        }
        try await req.application.tokenCache.forget(userID: principal.userID, on: req.sql)
        return .noContent
    }
}

extension Request {
    /// A numeric path id; anything else is a 404 (the resource cannot exist), never a 500.
    func int64Parameter(_ name: String, what: String = "Resource") throws -> Int64 {
        guard let raw = parameters.get(name), let id = Int64(raw), id > 0 else { throw APIError.notFound(what) }
        return id
    }
}

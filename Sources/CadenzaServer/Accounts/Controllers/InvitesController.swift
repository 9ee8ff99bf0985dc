import Fluent
import Vapor

/// `/api/v1/invites`: administrators create, list and revoke invite links; anyone holding a
/// valid link checks it and creates their account with it.
enum InvitesController {
    struct CreateRequest: Content {
        var role: User.Role?
        var hours: Int?
    }

    struct AcceptRequest: Content {
        var token: String
        var username: String
        var password: String
    }

    struct CheckResponse: Content {
        var role: User.Role
        var expiresAt: Date
    }

    @Sendable static func list(req: Request) async throws -> [Invites.Record] {
        _ = try req.requireAdmin()
        return try await Invites.pending(on: req.sql)
    }

    @Sendable static func create(req: Request) async throws -> Response {
        let admin = try req.requireAdmin()
        let body = try await req.decodeJSON(CreateRequest.self)
        let hours = body.hours ?? 72
        guard (1...Invites.maxHours).contains(hours) else {
            throw APIError.unprocessable("An invite lasts 1 to \(Invites.maxHours) hours.", code: "invalid_expiry")
        }
        let invite = try await Invites.create(
            role: body.role ?? .user, hours: hours, by: admin.userID,
            publicURL: req.application.settings.publicURL, on: req.sql)
        let response = Response(status: .created)
        try response.content.encode(invite)
        return response
    }

    @Sendable static func revoke(req: Request) async throws -> HTTPStatus {
        _ = try req.requireAdmin()
        guard try await Invites.revoke(id: try req.int64Parameter("id", what: "Invite"), on: req.sql) else { throw APIError.notFound("Invite") }
        return .noContent
    }

    struct CheckRequest: Content {
        var token: String
    }

    /// POST with the token in the body: a query string would put a live token in access logs.
    @Sendable static func check(req: Request) async throws -> CheckResponse {
        let token = try await req.decodeJSON(CheckRequest.self).token
        let (role, expires) = try await Invites.role(token: token, on: req.sql)
        return CheckResponse(role: role, expiresAt: Clock.date(expires))
    }

    /// Signs the new user in, like a login.
    @Sendable static func accept(req: Request) async throws -> Response {
        let body = try await req.decodeJSONBody(AcceptRequest.self)
        try User.validate(username: body.username)
        try User.validate(password: body.password)
        _ = try await Invites.role(token: body.token, on: req.sql)  // fail fast, before the slow hash
        let hash = try await req.application.hashPassword(body.password)
        let user: User
        do {
            user = try await Invites.accept(token: body.token, username: body.username, passwordHash: hash, on: req.db)
        } catch let error as any DatabaseError where error.isConstraintFailure {
            throw APIError.conflict("The username '\(body.username)' is taken.")
        }
        return try await AuthController.startSession(for: user, req: req, status: .created)
    }
}

import Fluent
import SQLKit
import Vapor

/// Account administration (admins only).
enum UsersController {
    struct CreateRequest: Content {
        var username: String
        var password: String
        var role: User.Role?
    }

    struct UpdateRequest: Content {
        var role: User.Role?
        var password: String?
    }

    @Sendable static func list(req: Request) async throws -> [UserDTO] {
        _ = try req.requireAdmin()
        return try await User.query(on: req.db).sort(\.$id).all().map { try $0.toDTO() }
    }

    @Sendable static func show(req: Request) async throws -> UserDTO {
        _ = try req.requireAdmin()
        return try await find(req).toDTO()
    }

    @Sendable static func create(req: Request) async throws -> Response {
        _ = try req.requireAdmin()
        let body = try await req.decodeJSON(CreateRequest.self)
        let user = try await create(username: body.username, password: body.password, role: body.role ?? .user, app: req.application)
        let response = Response(status: .created)
        try response.content.encode(try user.toDTO())
        return response
    }

    /// Shared by the API and `cadenza user create`.
    static func create(username: String, password: String, role: User.Role, app: Application) async throws -> User {
        try User.validate(username: username)
        try User.validate(password: password)
        try await User.requireAvailable(username, on: app.sql)
        let user = User(username: username, passwordHash: try await app.hashPassword(password), role: role)
        do {
            try await app.db.writeTransaction { tx in
                try await user.create(on: tx)
                try await AccountsEvents.appendCreated(user, on: tx.sql)
            }
        } catch let error as any DatabaseError where error.isConstraintFailure {
            throw APIError.conflict("The username '\(username)' is taken.")
        }
        return user
    }

    @Sendable static func update(req: Request) async throws -> UserDTO {
        let admin = try req.requireAdmin()
        let body = try await req.decodeJSON(UpdateRequest.self)
        let user = try await find(req)
        var roleChanged = false
        if let role = body.role, role != user.role {
            if user.id == admin.userID, role != .admin {
                throw APIError.conflict("You cannot remove your own administrator role.")
            }
            user.role = role
            roleChanged = true
        }
        if let password = body.password {
            try User.validate(password: password)
            user.passwordHash = try await req.application.hashPassword(password)
            try await SessionStore.deleteAll(userID: try user.requireID(), on: req.sql)
        }
        user.updatedAt = Clock.nowMillis()
        let announce = roleChanged
        try await req.db.writeTransaction { tx in
            try await user.save(on: tx)
            if announce { try await AccountsEvents.appendRoleChanged(user, on: tx.sql) }
        }
        try await req.application.tokenCache.forget(userID: try user.requireID(), on: req.sql)
        return try user.toDTO()
    }

    @Sendable static func delete(req: Request) async throws -> HTTPStatus {
        let admin = try req.requireAdmin()
        let user = try await find(req)
        if user.id == admin.userID { throw APIError.conflict("You cannot delete your own account.") }
        try await delete(user, on: req.db)
        try await req.application.tokenCache.forget(userID: try user.requireID(), on: req.sql)
        return .noContent
    }

    /// Shared by the API and `cadenza user delete`.
    static func delete(_ user: User, on db: any Database) async throws {
        try await db.writeTransaction { tx in
            try await user.delete(on: tx)
            try await CatalogCache.bump(on: tx.sql)  // their private libraries, and who sees what, change with them
        }
    }

    private static func find(_ req: Request) async throws -> User {
        let id = try req.int64Parameter("id", what: "User")
        guard let user = try await User.find(id, on: req.db) else { throw APIError.notFound("User") }
        return user
    }
}

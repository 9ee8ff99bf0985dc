import Vapor

/// Who is calling, and how they proved it.
struct Principal: Authenticatable, Sendable {
    enum Method: Sendable, Equatable {
        case session(id: Int64, csrfHash: String)
        case token(id: Int64)
    }

    var userID: Int64
    var username: String
    var role: User.Role
    var method: Method

    var isAdmin: Bool { role == .admin }
}

extension Request {
    /// The signed-in caller, or 401 in the API's error format.
    func requireUser() throws -> Principal {
        guard let principal = auth.get(Principal.self) else { throw APIError.unauthorized() }
        return principal
    }

    /// The signed-in caller if an admin: 401 when anonymous, 403 otherwise.
    func requireAdmin() throws -> Principal {
        let principal = try requireUser()
        guard principal.isAdmin else { throw APIError.forbidden("Administrators only.") }
        return principal
    }
}

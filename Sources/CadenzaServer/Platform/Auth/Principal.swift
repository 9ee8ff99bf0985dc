import Vapor

/// What an account may do.
public enum UserRole: String, Codable, Sendable, CaseIterable {
    case admin, user
}

/// What an API token may be used for. A scrobbler's token only scrobbles: it cannot mint tokens,
/// read the app password or act on the REST API.
public enum TokenScope: String, Codable, Sendable, CaseIterable {
    /// Everything the account may do.
    case full
    /// The ListenBrainz API only.
    case listens
    /// The Subsonic API only (OpenSubsonic `apiKey`).
    case subsonic
}

/// Who is calling, and how they proved it.
struct Principal: Authenticatable, Sendable {
    enum Method: Sendable, Equatable {
        case session(id: Int64, csrfHash: String)
        case token(id: Int64)
    }

    var userID: Int64
    var username: String
    var role: UserRole
    var method: Method
    /// Web sessions and passwords are always `.full`; API tokens carry their own scope.
    var scope: TokenScope = .full

    var isAdmin: Bool { role == .admin }

    /// The caller as a reader of events.
    var viewer: EventViewer { EventViewer(userID: userID, isAdmin: isAdmin) }
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

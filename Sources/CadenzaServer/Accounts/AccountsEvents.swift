import Fluent
import SQLKit
/// The accounts feature's event types.
enum AccountsEvents {
    /// A user changed their password. Features holding credentials of their own (scrobbler
    /// sessions) revoke them when `revokeScrobblers` says so.
    struct PasswordChanged: Codable, Sendable {
        var signedOutSessions: Int
        var revokedTokens: Int
        var revokeScrobblers: Bool
    }

    /// An account was made (set-up, an invitation, an administrator): features that keep
    /// something per user (default notification rules) start it here.
    struct Created: Codable, Sendable {
        var username: String
        var role: String
    }

    static let passwordChanged = EventType<PasswordChanged>("account.password_changed", visibility: .user, subjectType: "user")
    static let created = EventType<Created>("account.created", visibility: .admin, subjectType: "user")

    /// An administrator changed someone's role: what they may see changes with it.
    static let roleChanged = EventType<Created>("account.role_changed", visibility: .admin, subjectType: "user")

    static let all = [passwordChanged.descriptor, created.descriptor, roleChanged.descriptor]

    static func appendRoleChanged(_ user: User, on db: any SQLDatabase) async throws {
        let id = try user.requireID()
        try await EventStore.append(
            roleChanged, payload: Created(username: user.username, role: user.role.rawValue), actorID: nil, subjectID: String(id),
            audienceUserID: id, on: db)
    }

    /// Appends `account.created` for a user just inserted (in the same transaction).
    static func appendCreated(_ user: User, on db: any SQLDatabase) async throws {
        let id = try user.requireID()
        // Administrators' news only: no actor or audience, so the new user's own stream does not replay it.
        try await EventStore.append(
            created, payload: Created(username: user.username, role: user.role.rawValue), actorID: nil, subjectID: String(id), on: db)
    }
}

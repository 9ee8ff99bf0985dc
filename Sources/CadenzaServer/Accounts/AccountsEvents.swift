/// The accounts feature's event types.
enum AccountsEvents {
    /// A user changed their password. Features holding credentials of their own (scrobbler
    /// sessions) revoke them when `revokeScrobblers` says so.
    struct PasswordChanged: Codable, Sendable {
        var signedOutSessions: Int
        var revokedTokens: Int
        var revokeScrobblers: Bool
    }

    static let passwordChanged = EventType<PasswordChanged>("account.password_changed", visibility: .user, subjectType: "user")

    static let all = [passwordChanged.descriptor]
}

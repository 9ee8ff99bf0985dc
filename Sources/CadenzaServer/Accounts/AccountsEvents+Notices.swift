/// What notifications say about accounts.
extension AccountsEvents {
    static let notifiable = [
        {
            var kind = NotifiableEvent(type: passwordChanged.name, severity: .warning) { _, _ in
                EventNotice(
                    title: "Your password was changed",
                    body: "If it was not you, ask an administrator to reset it: someone else has your account.", link: "/#/settings")
            }
            kind.ownActionsCount = false
            return kind
        }(),
        NotifiableEvent(type: created.name) { event, _ in
            guard let account = event.decodedPayload(as: Created.self) else { return nil }
            return EventNotice(title: "New account: \(account.username)", body: "Role: \(account.role)", link: "/#/admin")
        },
    ]
}

import SQLKit

/// The notifications feature's event types: the bell follows `notification.created` live;
/// `notification.rules_changed` tells every process's matcher to read a user's rules again.
enum NotificationsEvents {
    struct Created: Codable, Sendable {
        var id: String
        var title: String
        var severity: String
        var unread: Int
    }

    struct RulesChanged: Codable, Sendable {
        var userId: String
    }

    static let created = EventType<Created>("notification.created", visibility: .user, subjectType: "notification")
    static let rulesChanged = EventType<RulesChanged>("notification.rules_changed", visibility: .user, subjectType: "user")
    /// A destination was turned off after failing (or by an unsubscribe link).
    static let destinationDisabled = EventType<DestinationDisabled>(
        "notification.destination_disabled", visibility: .user, subjectType: "notification_destination")

    struct DestinationDisabled: Codable, Sendable {
        var destinationId: String
        var name: String
        var reason: String
    }

    static let all = [created.descriptor, rulesChanged.descriptor, destinationDisabled.descriptor]

    static func appendRulesChanged(userID: Int64, on db: any SQLDatabase) async throws {
        try await EventStore.append(
            rulesChanged, payload: RulesChanged(userId: String(userID)), actorID: userID, subjectID: String(userID),
            audienceUserID: userID, on: db)
    }

    /// The user hears of a disabled destination in the app: this event is notifiable and
    /// mentions them, so their "About me" rule puts it in the inbox.
    static let notifiable = [
        NotifiableEvent(type: destinationDisabled.name, severity: .warning) { event, _ in
            guard let payload = event.decodedPayload(as: DestinationDisabled.self) else { return nil }
            return EventNotice(
                title: "Notifications to “\(payload.name)” were turned off", body: payload.reason, link: "/#/notifications")
        }
    ]
}

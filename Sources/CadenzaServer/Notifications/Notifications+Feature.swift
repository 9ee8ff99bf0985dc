/// Notifications: what users are told, in the app, by email and by webhook. So far: outgoing
/// mail's settings and `cadenza mail test`.
public struct NotificationsFeature: Feature {
    public init() {}

    public var name: String { "notifications" }

    public var settingsSections: [any SettingsSection.Type] { [MailSettings.self] }
}

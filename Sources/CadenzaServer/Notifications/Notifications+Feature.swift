import Fluent
import SQLKit
import ServiceLifecycle
import Vapor

/// Notifications: per-user rules over the event log, delivered to an in-app inbox, by email
/// and by signed webhook, through durable delivery rows worked by jobs.
public struct NotificationsFeature: Feature {
    public init() {}

    public var name: String { "notifications" }

    public func queueGauges(on db: any SQLDatabase) async throws -> [QueueGauge] {
        try await QueueGauge.deliveries(
            "notification", table: "notification_deliveries", statuses: ["held", "queued", "sent", "failed", "expired"], waiting: "queued",
            since: "created_at", on: db)
    }

    public var settingsSections: [any SettingsSection.Type] { [MailSettings.self, NotificationSettings.self] }

    public var migrations: [any Migration] { [M035_CreateNotifications()] }

    public var eventTypes: [EventDescriptor] { NotificationsEvents.all }

    public var notifiableEvents: [NotifiableEvent] { NotificationsEvents.notifiable }

    public func configure(_ context: FeatureContext) throws {
        DeliveryJobs.register(context.jobs)
    }

    public func periodicTasks(_ settings: Settings) -> [PeriodicTask] {
        [PeriodicTask(name: "notification digests", interval: 30, kind: DeliveryJobs.digestsJob)]
    }

    public func eventConsumers(_ services: AppServices) -> [EventConsumer] {
        [NotificationMatcher(registry: services.events).consumer]
    }

    public func routes(_ routes: FeatureRoutes) throws {
        let api = routes.api
        api.get("notifications", use: InboxController.list)
        api.get("notifications", "unread", use: InboxController.unread)
        api.post("notifications", "read", use: InboxController.markRead)
        api.get("notification-destinations", use: DestinationsController.list)
        api.post("notification-destinations", use: DestinationsController.create)
        api.patch("notification-destinations", ":id", use: DestinationsController.update)
        api.delete("notification-destinations", ":id", use: DestinationsController.delete)
        api.post("notification-destinations", ":id", "test", use: DestinationsController.test)
        api.get("notification-rules", use: RulesController.list)
        api.post("notification-rules", use: RulesController.create)
        api.post("notification-rules", "preview", use: RulesController.preview)
        api.get("notification-kinds", use: RulesController.kinds)
        api.patch("notification-rules", ":id", use: RulesController.update)
        api.delete("notification-rules", ":id", use: RulesController.delete)
        let root = routes.root
        root.get("notifications", "unsubscribe", use: LinksController.unsubscribePage)
        root.post("notifications", "unsubscribe", use: LinksController.unsubscribe)
        root.get("notifications", "confirm", use: LinksController.confirmPage)
        root.post("notifications", "confirm", use: LinksController.confirm)
    }

    public var apiDocumentation: APIDocumentation { Self.documentation }
}

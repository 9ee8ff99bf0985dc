import Fluent
import SQLKit
import Vapor

/// Federation: ActivityPub between instances — discovery (WebFinger, NodeInfo), actors with
/// RSA keys, signed requests both ways, an inbox that stores before it works, follows of
/// libraries and people, and durable deliveries.
public struct FederationFeature: Feature {
    public init() {}

    public var name: String { "federation" }

    public func queueGauges(on db: any SQLDatabase) async throws -> [QueueGauge] {
        try await QueueGauge.deliveries(
            "federation", table: "federation_deliveries", statuses: ["queued", "sent", "failed", "dropped"], waiting: "queued", since: "created_at",
            on: db)
    }

    public var settingsSections: [any SettingsSection.Type] { [FederationSettings.self] }

    public var migrations: [any Migration] { [M036_CreateFederation(), M038_CreateFederationPublished(), M048_IndexFederationDeliveriesByStatus()] }

    public var eventTypes: [EventDescriptor] { FederationEvents.all }

    public var notifiableEvents: [NotifiableEvent] { FederationEvents.notifiable }

    public func configure(_ context: FeatureContext) throws {
        let settings = try context.settings.section(FederationSettings.self)
        FederationDeliveries.register(context.jobs, settings: settings)
        InboxJobs.register(context.jobs)
        LibraryCrawler.register(context.jobs)
        MirrorRemoval.register(context.jobs)
        FederationCleanup.register(context.jobs)
        context.provide(RemoteAudioCache.remoteMedia)
    }

    public var apiDocumentation: APIDocumentation { Self.documentation }

    public func periodicTasks(_ settings: Settings) -> [PeriodicTask] { [FederationCleanup.task] }

    public func eventConsumers(_ services: AppServices) -> [EventConsumer] {
        [LibraryPublisher(services: services).consumer, ListenPublisher(services: services).consumer]
    }

    public func routes(_ routes: FeatureRoutes) throws {
        // The API answers even with federation off (409 where it would reach out), so the
        // web page can say why.
        let api = routes.api.grouped("federation")
        api.get("lookup", use: FederationAPIController.lookup)
        api.get("follows", use: FederationAPIController.follows)
        api.post("follows", use: FederationAPIController.follow)
        api.delete("follows", ":id", use: FederationAPIController.unfollow)
        api.get("followers", use: FederationAPIController.followers)
        api.post("followers", ":id", "approve") { try await FederationAPIController.answer(req: $0, approve: true) }
        api.post("followers", ":id", "reject") { try await FederationAPIController.answer(req: $0, approve: false) }
        api.get("domains", use: FederationAdminController.domains)
        api.put("domains", ":authority", use: FederationAdminController.setPolicy)
        api.delete("domains", ":authority", use: FederationAdminController.removePolicy)
        api.post("keys", "rotate", use: FederationAdminController.rotateKey)
        api.get("account-blocks", use: FederationAdminController.accountBlocks)
        api.post("account-blocks", use: FederationAdminController.blockAccount)
        api.delete("account-blocks", use: FederationAdminController.unblockAccount)
        let root = routes.root
        root.get(".well-known", "nodeinfo", use: WellKnownController.nodeinfoLinks)
        root.get("nodeinfo", ":version", use: WellKnownController.nodeinfo)
        guard try routes.services.settings.section(FederationSettings.self).enabled else { return }
        root.get(".well-known", "webfinger", use: WellKnownController.webfinger)
        let federation = root.grouped("federation")
        federation.get("service", use: ActorsController.service)
        federation.get("service", ":collection", use: ActorsController.serviceCollection)
        federation.get("actors", ":username", use: ActorsController.person)
        federation.get("actors", ":username", ":collection", use: ActorsController.personCollection)
        federation.get("libraries", ":id", use: ActorsController.libraryDocument)
        federation.get("libraries", ":id", "followers", use: ActorsController.libraryFollowers)
        federation.get("audio", ":id", use: ActorsController.audioDocument)
        federation.get("audio", ":id", "stream", use: ActorsController.audioStream)
        let inboxBody = HTTPBodyStreamStrategy.collect(maxSize: ByteCount(value: ActivityInboxController.maxBody))
        federation.on(.POST, "inbox", body: inboxBody, use: ActivityInboxController.receive)
        federation.on(.POST, "actors", ":username", "inbox", body: inboxBody, use: ActivityInboxController.receive)
    }
}

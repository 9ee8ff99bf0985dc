import Fluent
import ServiceLifecycle
import Vapor

/// Listens: the ListenBrainz, Last.fm and AudioScrobbler APIs, listening history and its
/// statistics, follows and the live feed, imports and exports.
public struct ListensFeature: Feature {
    public init() {}

    public var name: String { "listens" }

    /// Listening-history files waiting to be imported.
    public var backupDirectories: [String] { [ListenImports.directoryName] }

    public var migrations: [any Migration] {
        [
            M011_CreateListens(), M015_AddTrackToPlayingNow(), M019_UnmatchPrivateTracks(), M039_CreateRemoteListens(), M040_AddListensForDiscovery(),
            M045_CreateRollupBacklog(), M046_DropListenForeignKeysOnPostgres(),
        ]
    }

    public var eventTypes: [EventDescriptor] { ListensEvents.all }

    public var notifiableEvents: [NotifiableEvent] { ListensEvents.notifiable }

    public var eventAudiences: [any EventAudience] { [FollowersAudience()] }

    public var settingsSections: [any SettingsSection.Type] { [ListensSettings.self] }

    public func configure(_ context: FeatureContext) throws {
        context.provide(ListenIngestQueue())
        context.provide(BufferedRateLimiter())
        ListenJobs.register(on: context.jobs)
    }

    public func periodicTasks(_ settings: Settings) -> [PeriodicTask] { ListenJobs.periodic }

    public func eventConsumers(_ services: AppServices) -> [EventConsumer] {
        [ScrobblerSessions.revokeOnPasswordChange, ListensFromPlayback.radio, ListensFromPlayback.jukebox]
    }

    public func services(_ context: ServiceContext) -> [any Service] {
        guard context.roles.contains(.api) else { return [] }
        var list: [any Service] = []
        if let ingest = try? context.services.state(ListenIngestQueue.self) { list.append(ingest) }
        if let limiter = try? context.services.state(BufferedRateLimiter.self) {
            let db = context.application.sql
            let logger = context.logger
            list.append(ShutdownHook { try? await limiter.flush(db: db, logger: logger) })
        }
        return list
    }

    public func routes(_ routes: FeatureRoutes) throws {
        let api = routes.api
        api.get("me", "listen-settings", use: ListenSettingsController.show)
        api.put("me", "listen-settings", use: ListenSettingsController.update)
        api.get("me", "feed", use: FeedController.show)
        api.get("follows", use: FollowsController.list)
        api.put("follows", ":username", use: FollowsController.follow)
        api.delete("follows", ":username", use: FollowsController.unfollow)
        api.on(.POST, "me", "listens", "imports", body: .stream, use: ListenImports.create)
        api.get("me", "listens", "imports", use: ListenImports.list)
        api.get("me", "listens", "imports", ":id", use: ListenImports.show)
        api.get("me", "listens", "export", use: ListenExport.export)
        api.get("me", "scrobbler-sessions", use: ScrobblerSessions.list)
        api.delete("me", "scrobbler-sessions", ":id", use: ScrobblerSessions.revoke)
        api.get("me", "lastfm-keys", use: LastFMKeysController.list)
        api.post("me", "lastfm-keys", use: LastFMKeysController.create)
        api.delete("me", "lastfm-keys", ":id", use: LastFMKeysController.delete)
        api.post("lastfm", "approve", use: LastFMKeysController.approve)

        // ListenBrainz, Last.fm and AudioScrobbler, at the host root where their clients look.
        let app = routes.root
        ListenBrainzController.register(app)
        app.on(.GET, "2.0", use: LastFMController.handle)
        app.on(.POST, "2.0", body: .stream, use: LastFMController.handle)
        AudioScrobblerController.register(app)
    }
}

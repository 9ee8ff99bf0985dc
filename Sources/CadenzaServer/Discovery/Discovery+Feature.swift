import Fluent
import Vapor

/// Discovery: what to play next, from everyone's listens on the instance — recommendations
/// with their reasons, similar artists and tracks, instant mixes, and playlists made for each
/// listener — computed by jobs over the database (no external cluster at an instance's size).
public struct DiscoveryFeature: Feature {
    public init() {}

    public var name: String { "discovery" }

    public var migrations: [any Migration] { [M041_CreateDiscovery()] }

    public func configure(_ context: FeatureContext) throws {
        DiscoveryModel.register(context.jobs)
        MadeForYou.register(context.jobs)
    }

    public var apiDocumentation: APIDocumentation { Self.documentation }

    public func periodicTasks(_ settings: Settings) -> [PeriodicTask] { [DiscoveryModel.task, MadeForYou.task] }

    public func eventConsumers(_ services: AppServices) -> [EventConsumer] { [SharingWithdrawals.consumer] }

    public func routes(_ routes: FeatureRoutes) throws {
        let api = routes.api.grouped("discovery")
        api.get("recommendations", use: DiscoveryController.tracks)
        api.get("recommendations", "albums", use: DiscoveryController.albums)
        api.get("recommendations", "artists", use: DiscoveryController.artists)
        api.get("mix", use: DiscoveryController.mix)
        api.get("artists", ":id", "similar", use: DiscoveryController.similarArtists)
        api.get("playlists", use: DiscoveryController.playlists)
        api.post("playlists", "refresh", use: DiscoveryController.refreshPlaylists)
        api.get("model", use: DiscoveryController.model)
        api.post("model", use: DiscoveryController.rebuildModel)
    }
}

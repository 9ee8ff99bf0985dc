import Fluent
import Vapor

/// Subsonic and OpenSubsonic, for the apps people already use: `/rest`, shares, and the
/// per-user Subsonic password.
public struct SubsonicFeature: Feature {
    public init() {}

    public var name: String { "subsonic" }

    public var migrations: [any Migration] { [M010_CreateSubsonicTables(), M016_RetireNowPlayingRenameInternetRadio()] }

    public func routes(_ routes: FeatureRoutes) throws {
        let app = routes.root
        app.on(.GET, "rest", ":method", use: SubsonicAPI.handle)
        app.on(.POST, "rest", ":method", body: .collect(maxSize: "1mb"), use: SubsonicAPI.handle)
        app.get("share", ":token", use: SubsonicSharing.page)
        app.get("share", ":token", ":index", "audio", use: SubsonicSharing.audio)

        let api = routes.api
        api.get("me", "subsonic-password", use: SubsonicPasswordController.state)
        api.post("me", "subsonic-password", "reveal", use: SubsonicPasswordController.reveal)
        api.put("me", "subsonic-password", use: SubsonicPasswordController.set)
    }
}

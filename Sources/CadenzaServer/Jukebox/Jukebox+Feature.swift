import Fluent
import ServiceLifecycle
import Vapor

/// Jukebox: party rooms where guests suggest songs and vote, and the queue plays by score.
public struct JukeboxFeature: Feature {
    public init() {}

    public var name: String { "jukebox" }

    public var migrations: [any Migration] { [M025_CreateJukebox(), M026_AddJukeboxHostControls(), M027_AddRoomPlayback(), M028_AddRoomRules()] }

    public var eventTypes: [EventDescriptor] { JukeboxEvents.all }

    public var notifiableEvents: [NotifiableEvent] { JukeboxEvents.notifiable }

    public func configure(_ context: FeatureContext) throws {
        context.provide(RoomEventsController.Live())
        context.provide(RoomStreams(ffmpeg: Transcoder.ffmpegPath))
        context.provide(RoomVotes())
    }

    /// Where the API is served: the fanout that carries live events to the rooms' guests, and
    /// the stream-mode rooms' playout.
    public func services(_ context: ServiceContext) -> [any Service] {
        guard context.roles.contains(.api), let live = try? context.services.state(RoomEventsController.Live.self),
            let streams = try? context.services.state(RoomStreams.self)
        else { return [] }
        return [live.fanout.service(hub: context.services.hub), streams.service(app: context.application)]
    }

    public func routes(_ routes: FeatureRoutes) throws {
        let api = routes.api
        api.get("rooms", use: RoomsController.list)
        api.post("rooms", use: RoomsController.create)
        api.get("rooms", ":slug", use: RoomsController.show)
        api.patch("rooms", ":slug", use: RoomsController.update)
        api.delete("rooms", ":slug", use: RoomsController.delete)
        api.post("rooms", ":slug", "join", use: RoomsController.join)
        api.put("rooms", ":slug", "me", use: RoomsController.updateMe)
        api.get("rooms", ":slug", "events", use: RoomEventsController.stream)
        api.post("rooms", ":slug", "code", use: RoomsController.rotate)
        api.get("rooms", ":slug", "qr.svg", use: RoomInvite.qr)
        api.get("rooms", ":slug", "stream.mp3", use: RoomStreamController.listen)
        api.get("rooms", ":slug", "search", use: RoomsController.search)
        api.post("rooms", ":slug", "suggestions", use: RoomsController.suggest)
        api.put("rooms", ":slug", "entries", ":id", "vote", use: RoomsController.vote)
        api.delete("rooms", ":slug", "entries", ":id", use: RoomsController.remove)
        api.post("rooms", ":slug", "entries", ":id", "top", use: RoomsController.top)
        api.put("rooms", ":slug", "banned-tracks", ":trackId", use: RoomsController.banTrack)
        api.delete("rooms", ":slug", "banned-tracks", ":trackId", use: RoomsController.banTrack)
        api.post("rooms", ":slug", "guests", ":id", "ban", use: RoomsController.ban)
        api.delete("rooms", ":slug", "guests", ":id", "ban", use: RoomsController.ban)
        api.post("rooms", ":slug", "control", ":action", use: RoomsController.control)
        api.get("rooms", ":slug", "player", "next", use: RoomsController.playerNext)
        api.post("rooms", ":slug", "player", ":event", use: RoomsController.playerReport)
    }

    public var apiDocumentation: APIDocumentation { Self.documentation }
}

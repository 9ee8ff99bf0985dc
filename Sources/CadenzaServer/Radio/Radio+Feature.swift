import Fluent
import ServiceLifecycle
import Vapor

/// Radio: stations, their autoDJ rotation, the playout engine and its mounts, now playing and
/// the as-run log.
public struct RadioFeature: Feature {
    public init() {}

    public var name: String { "radio" }

    /// Recorded live sets.
    public var backupDirectories: [String] { [LiveRecordings.directoryName] }

    public var migrations: [any Migration] {
        [
            M021_CreateStations(), M022_CreateShowsAndSchedule(), M023_CreateStationDJs(), M024_AddStationRotationSettings(),
            M029_CreateTrackLoudness(), M030_AddSmartBlocksAndRotation(), M032_AddStationRecordLive(),
            M033_CreateStationRequests(), M034_AddShowIntroAndOutro(), M050_AddStationBitrate(), M051_CreateStationManagers(),
            M052_CreateStationListenerAgents(), M053_AddCrossfadeCurveAndEntryFades(),
            M054_AddStationListenerLimit(), M055_AddStationAndShowArtwork(),
            M056_AddStationFallbackTrack(), M057_CreateStationRelayStatus(),
        ]
    }

    public var eventTypes: [EventDescriptor] { RadioEvents.all }

    public var notifiableEvents: [NotifiableEvent] { RadioEvents.notifiable }

    public var settingsSections: [any SettingsSection.Type] { [RadioSettings.self] }

    public func configure(_ context: FeatureContext) throws {
        if !FileManager.default.isExecutableFile(atPath: Transcoder.ffmpegPath) {
            context.logger.error(
                "radio: ffmpeg not found at \(Transcoder.ffmpegPath); stations will air only the fallback tone (apt-get install ffmpeg)")
        }
        let hours = try context.settings.radio.scheduleHours
        ScheduleBuilder.register(on: context.jobs, hours: { hours })
        LoudnessJob.register(on: context.jobs, ffmpeg: Transcoder.ffmpegPath)
        ShowReminders.register(on: context.jobs)
        let radio = try context.settings.radio
        context.provide(
            RadioStations(
                ffmpeg: Transcoder.ffmpegPath, hlsRoot: context.settings.dataDirectory.appendingPathComponent("hls"),
                statsInterval: radio.statsInterval, only: radio.station, mediaCacheMB: radio.mediaCacheMB,
                airs: context.settings.roles.contains(.playout) || radio.inlinePlayout,
                owner: RadioStations.owner(node: radio.node, dataDirectory: context.settings.dataDirectory.path),
                address: radio.playoutURL(host: context.settings.host, port: context.settings.port)))
    }

    public func periodicTasks(_ settings: Settings) -> [PeriodicTask] { [ScheduleBuilder.periodic, LoudnessJob.periodic, ShowReminders.periodic] }

    public func services(_ context: ServiceContext) -> [any Service] {
        let settings = try? context.application.settings
        // `cadenza serve` with external playout airs nothing (and takes no DJs): the playout processes do.
        let inline = (try? settings?.radio.inlinePlayout) ?? true
        guard context.roles.contains(.playout) || (context.roles.contains(.api) && inline),
            let stations = try? context.services.state(RadioStations.self)
        else { return [] }
        return [
            RadioService(
                stations: stations, app: context.application, livePort: (try? settings?.radio.livePort) ?? 0, host: settings?.host ?? "127.0.0.1")
        ]
    }

    public func routes(_ routes: FeatureRoutes) throws {
        let api = routes.api
        api.get("stations", use: StationsController.list)
        api.post("stations", use: StationsController.create)
        api.get("stations", ":slug", use: StationsController.show)
        api.patch("stations", ":slug", use: StationsController.update)
        api.delete("stations", ":slug", use: StationsController.delete)
        api.get("stations", ":slug", "now-playing", use: StationsController.nowPlaying)
        let picture = HTTPBodyStreamStrategy.collect(maxSize: ByteCount(integerLiteral: StationArtwork.maxBytes))
        api.get("stations", ":slug", "artwork", use: StationArtwork.getStation)
        api.on(.PUT, "stations", ":slug", "artwork", body: picture, use: StationArtwork.putStation)
        api.delete("stations", ":slug", "artwork", use: StationArtwork.deleteStation)
        api.get("stations", ":slug", "shows", ":id", "artwork", use: StationArtwork.getShow)
        api.on(.PUT, "stations", ":slug", "shows", ":id", "artwork", body: picture, use: StationArtwork.putShow)
        api.delete("stations", ":slug", "shows", ":id", "artwork", use: StationArtwork.deleteShow)
        api.get("stations", ":slug", "tracks", ":trackId", "artwork", use: StationArtwork.getTrack)
        api.post("stations", ":slug", "skip", use: StationsController.skip)
        api.post("stations", ":slug", "next", use: StationsController.playNext)
        api.get("stations", ":slug", "listeners", use: StationsController.listeners)
        api.get("stations", ":slug", "relays", use: StationRelaysController.list)
        api.get("stations", ":slug", "history", use: StationsController.history)
        api.get("stations", ":slug", "schedule", use: ShowsController.schedule)
        api.get("stations", ":slug", "shows", use: ShowsController.list)
        api.post("stations", ":slug", "shows", use: ShowsController.create)
        api.get("stations", ":slug", "shows", ":id", use: ShowsController.get)
        api.patch("stations", ":slug", "shows", ":id", use: ShowsController.update)
        api.delete("stations", ":slug", "shows", ":id", use: ShowsController.delete)
        api.put("stations", ":slug", "shows", ":id", "occurrences", ":date", use: ShowsController.changeOccurrence)
        api.delete("stations", ":slug", "shows", ":id", "occurrences", ":date", use: ShowsController.restoreOccurrence)
        api.get("stations", ":slug", "djs", use: StationRosterController.get(.djs))
        api.put("stations", ":slug", "djs", use: StationRosterController.put(.djs, ownerOnly: false))
        api.get("stations", ":slug", "managers", use: StationRosterController.get(.managers))
        api.put("stations", ":slug", "managers", use: StationRosterController.put(.managers, ownerOnly: true))
        api.get("stations", ":slug", "playlists", use: StationPlaylistsController.list)
        api.post("stations", ":slug", "playlists", use: StationPlaylistsController.create)
        api.post("stations", ":slug", "playlists", "preview", use: StationPlaylistsController.previewRules)
        api.get("stations", ":slug", "playlists", ":id", use: StationPlaylistsController.get)
        api.put("stations", ":slug", "playlists", ":id", use: StationPlaylistsController.update)
        api.delete("stations", ":slug", "playlists", ":id", use: StationPlaylistsController.delete)
        // Where Icecast clients and AzuraCast-aware directories look.
        let listeners = routes.root.grouped(AuthMiddleware())
        listeners.get("listen", ":slug", ":file", use: MountController.listen)
        listeners.get("hls", ":slug", ":file", use: MountController.hls)
        // Asked by a standby playout that found the station's lease expired.
        routes.root.get("playout", "airing", ":station", use: MountController.airing)
    }

    public var apiDocumentation: APIDocumentation { Self.documentation }
}

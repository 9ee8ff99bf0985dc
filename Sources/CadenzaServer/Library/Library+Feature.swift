import Fluent
import SQLKit
import Vapor

/// The library: folders and uploads scanned into a catalog of artists, albums and tracks, with
/// artwork, streaming and transcoding, playlists, stars and ratings.
public struct LibraryFeature: Feature {
    public init() {}

    public var name: String { "library" }

    public var migrations: [any Migration] {
        [
            M008_CreateLibraries(), M009_CreateCatalog(), M013_AddAnnotationsVersion(), M018_SplitReleaseAlbumsByLibrary(),
            M020_AddAlbumReleaseTypes(),
            M037_AddRemoteLibraries(), M043_IndexTracksBySortTitle(), M049_AddTrackBPM(),
        ]
    }

    public var eventTypes: [EventDescriptor] { LibraryEvents.all }

    public var notifiableEvents: [NotifiableEvent] { LibraryEvents.notifiable }

    public var eventAudiences: [any EventAudience] { [LibraryAudience()] }

    public func configure(_ context: FeatureContext) throws {
        context.provide(CatalogCaches())
        context.provide(TranscodeLimits())
        LibraryScanner.register(on: context.jobs)
        Uploads.register(on: context.jobs)
    }

    public func periodicTasks(_ settings: Settings) -> [PeriodicTask] { LibraryScanner.periodic(settings) + [LibraryScanner.sweepTask] }

    /// Uploaded music and the artwork read from files (covers of uploads exist nowhere else).
    public var backupDirectories: [String] { [Uploads.directoryName, ArtworkStore.directoryName] }

    public func mediaDirectoryMoved(from old: String, to new: String, on db: any SQLDatabase) async throws {
        try await Libraries.moveFolders(from: old, to: new, on: db)
    }

    public func willServe(_ context: ServiceContext) async throws {
        try await Libraries.ensureMusicDirectories(context.services.settings.musicDirectories, on: context.application.sql)
    }

    public func routes(_ routes: FeatureRoutes) throws {
        let api = routes.api
        api.get("libraries", use: LibrariesController.list)
        api.post("libraries", use: LibrariesController.create)
        api.get("libraries", ":id", use: LibrariesController.show)
        api.post("libraries", ":id", "folders", use: LibrariesController.addFolder)
        api.post("libraries", ":id", "scan", use: LibrariesController.scan)
        api.get("libraries", ":id", "files", use: LibrariesController.files)
        api.get("artists", use: CatalogController.artists)
        api.get("artists", ":id", use: CatalogController.artist)
        api.get("albums", use: CatalogController.albums)
        api.get("albums", ":id", use: CatalogController.album)
        api.get("tracks", use: CatalogController.tracks)
        api.get("tracks", ":id", use: CatalogController.track)
        api.get("tracks", ":id", "lyrics", use: CatalogController.lyrics)
        api.get("genres", use: CatalogController.genres)
        api.get("search", use: CatalogController.search)
        api.get("files", ":id", "audio", use: StreamController.audio)
        api.get("artwork", ":id", use: StreamController.artwork)
        api.on(.POST, "uploads", body: .stream, use: Uploads.upload)
        api.get("uploads", use: UploadStatus.list)
        api.get("playlists", use: PlaylistsController.list)
        api.post("playlists", use: PlaylistsController.create)
        api.get("playlists", ":id", use: PlaylistsController.get)
        api.patch("playlists", ":id", use: PlaylistsController.update)
        api.delete("playlists", ":id", use: PlaylistsController.delete)
        api.get("stars", use: StarsController.list)
        api.put("stars", ":type", ":id", use: StarsController.star)
        api.delete("stars", ":type", ":id", use: StarsController.unstar)
        api.get("ratings", use: RatingsController.list)
        api.put("ratings", ":type", ":id", use: RatingsController.set)
    }
}

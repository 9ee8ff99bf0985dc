import Vapor

/// Every HTTP route Cadenza serves, one block per surface.
func routes(_ app: Application) throws {
    do { // operations
        app.get("healthz", use: OperationsController.healthz)
        app.get("readyz", use: OperationsController.readyz)
        app.get("metrics", use: OperationsController.metrics)
    }

    do { // web pages: the first-run page and the web app
        app.get("setup", use: WebPages.setup)
        app.get("static", "setup.js", use: WebPages.setupScript)
        app.get(use: WebApp.shell)
        app.get("app", "**", use: WebApp.file)
    }

    let api = app.grouped("api", "v1").grouped(AuthMiddleware())

    do { // documentation
        api.get("openapi.json", use: OpenAPIDocument.serve)
    }

    do { // accounts and sessions
        api.post("setup", use: AuthController.setup)
        api.post("auth", "login", use: AuthController.login)
        api.post("auth", "logout", use: AuthController.logout)
        api.get("me", use: AuthController.me)
        api.put("me", "password", use: AuthController.changePassword)
        api.get("me", "subsonic-password", use: SubsonicPasswordController.show)
        api.put("me", "subsonic-password", use: SubsonicPasswordController.set)
        api.get("tokens", use: TokensController.list)
        api.post("tokens", use: TokensController.create)
        api.delete("tokens", ":id", use: TokensController.revoke)
    }

    do { // administration
        api.get("users", use: UsersController.list)
        api.post("users", use: UsersController.create)
        api.get("users", ":id", use: UsersController.show)
        api.patch("users", ":id", use: UsersController.update)
        api.delete("users", ":id", use: UsersController.delete)
        api.get("invites", use: InvitesController.list)
        api.post("invites", use: InvitesController.create)
        api.delete("invites", ":id", use: InvitesController.revoke)
        api.post("invites", "check", use: InvitesController.check)
        api.post("invites", "accept", use: InvitesController.accept)
        api.get("jobs", use: JobsController.list)
        api.post("jobs", "ping", use: JobsController.ping)
        api.get("jobs", ":id", use: JobsController.show)
        api.post("jobs", ":id", "retry", use: JobsController.retry)
        api.post("jobs", ":id", "cancel", use: JobsController.cancel)
    }

    do { // library
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

    do { // Subsonic and OpenSubsonic, for the apps people already use
        app.on(.GET, "rest", ":method", use: SubsonicAPI.handle)
        app.on(.POST, "rest", ":method", body: .collect(maxSize: "1mb"), use: SubsonicAPI.handle)
        app.get("share", ":token", use: SubsonicSharing.page)
        app.get("share", ":token", ":index", "audio", use: SubsonicSharing.audio)
    }

    do { // listens: settings, follows, imports, export, Last.fm keys
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
        api.get("me", "lastfm-keys", use: LastFMKeysController.list)
        api.post("me", "lastfm-keys", use: LastFMKeysController.create)
        api.delete("me", "lastfm-keys", ":id", use: LastFMKeysController.delete)
        api.post("lastfm", "approve", use: LastFMKeysController.approve)
        api.post("plays", use: PlaysController.report)
    }

    do { // ListenBrainz, Last.fm and AudioScrobbler, at the host root where their clients look
        ListenBrainzController.register(app)
        app.on(.GET, "2.0", use: LastFMController.handle)
        app.on(.POST, "2.0", body: .stream, use: LastFMController.handle)
        AudioScrobblerController.register(app)
    }

    do { // live events
        api.get("events", use: EventsController.sse)
        api.webSocket("events", "ws", maxFrameSize: .init(integerLiteral: 1 << 16), onUpgrade: EventsController.websocket)
    }

    // Anything else under /api answers in the API's own error format.
    app.grouped("api").get("**") { _ -> Response in throw APIError.notFound("Endpoint") }
}

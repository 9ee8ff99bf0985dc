import Fluent
import Vapor

/// Builds and runs the Cadenza application for each command of the executable.
public enum CadenzaApp {
    /// Creates a configured, migrated application. The caller owns it and must `asyncShutdown()` it.
    public static func make(settings: Settings, environment: Environment = .production, migrate: Bool = true) async throws -> Application {
        var env = environment
        env.arguments = [env.arguments.first ?? "cadenza"]
        let app = try await Application.make(env)
        do {
            try await configure(app, settings: settings)
            if migrate {
                try await app.autoMigrate()
            }
            return app
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
    }

    public static func configure(_ app: Application, settings: Settings) async throws {
        app.settings = settings
        try app.installServices()
        app.logger.logLevel = settings.logLevel
        app.http.server.configuration.hostname = settings.host
        app.http.server.configuration.port = settings.port
        app.http.server.configuration.serverName = "Cadenza"
        // Off unless a response asks for it (the web app's files): streams and events stay unbuffered.
        app.http.server.configuration.responseCompression = .disabled(initialByteBufferCapacity: 1024, allowedTypes: .none,
                                                                      allowRequestOverrides: true)
        app.routes.defaultMaxBodySize = ByteCount(integerLiteral: settings.maxBodyBytes)
        try app.configureDatabase(settings)
        app.migrations.addCadenzaMigrations()
        try await app.prepareSQLiteConnections()
        app.passwords.use(.bcrypt(cost: settings.bcryptCost))
        SystemJobs.register(on: app)
        LibraryScanner.register(on: app)
        Uploads.register(on: app)
        ListenJobs.register(on: app)

        app.middleware = .init()
        app.middleware.use(RequestIDMiddleware())
        app.middleware.use(JSONErrorMiddleware())
        try routes(app)
    }

    /// Starts the background services for the roles this process plays.
    public static func startServices(_ app: Application, roles: Set<Settings.Role>) async throws {
        let settings = app.settings
        if let url = settings.databaseURL {
            let listener = try PostgresListener(
                url: url,
                channels: [JobQueue.notifyChannel: app.jobSignal, EventStore.notifyChannel: app.eventSignal],
                logger: app.logger)
            listener.start()
            app.runtime.listener.withLockedValue { $0 = listener }
        }
        if roles.contains(.api) {
            let hub = EventHub(app: app, poll: settings.eventPollInterval)
            try await hub.start()
            app.runtime.hub.withLockedValue { $0 = hub }
        }
        if roles.contains(.worker) {
            let worker = JobWorker(app: app, settings: settings)
            worker.start()
            app.runtime.worker.withLockedValue { $0 = worker }
        }
        if roles.contains(.scheduler) {
            let scheduler = Scheduler(app: app, tasks: SystemJobs.periodic + LibraryScanner.periodic(settings) + ListenJobs.periodic)
            scheduler.start()
            app.runtime.scheduler.withLockedValue { $0 = scheduler }
        }
    }

    /// Stops background services: workers finish or release their jobs, live clients are closed.
    public static func stopServices(_ app: Application) async {
        await app.runtime.scheduler.withLockedValue({ $0 })?.stop()
        await app.runtime.worker.withLockedValue({ $0 })?.stop()
        await app.runtime.hub.withLockedValue({ $0 })?.stop()
        await app.runtime.listener.withLockedValue({ $0 })?.stop()
    }

    /// Runs the HTTP server (with the other roles in-process) until SIGINT/SIGTERM.
    public static func serve(settings: Settings) async throws {
        let app = try await make(settings: settings)
        do {
            try await Setup.announceIfNeeded(app)
            try await Libraries.ensureMusicDirectories(settings.musicDirectories, on: app.sql)
            try await startServices(app, roles: settings.roles)
            if settings.roles.contains(.api) {
                try await app.execute()
            } else {
                await waitForTermination(app)
            }
        } catch {
            await stopServices(app)
            try? await app.asyncShutdown()
            throw error
        }
        await stopServices(app)
        try await app.asyncShutdown()
    }

    /// Runs workers and the scheduler (no HTTP) until SIGINT/SIGTERM.
    public static func work(settings: Settings) async throws {
        var settings = settings
        settings.roles = [.worker, .scheduler]
        try await serve(settings: settings)
    }

    private static func waitForTermination(_ app: Application) async {
        let signal = WakeSignal()
        let sources = [SIGINT, SIGTERM].map { number -> any DispatchSourceSignal in
            Foundation.signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number)
            source.setEventHandler { signal.signal() }
            source.resume()
            return source
        }
        let generation = signal.generation
        while signal.generation == generation {
            await signal.wait(since: generation, timeout: .seconds(3600))
        }
        app.logger.info("shutting down")
        sources.forEach { $0.cancel() }
    }
}

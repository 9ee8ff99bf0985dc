import Fluent
import NIOConcurrencyHelpers
import ServiceLifecycle
import UnixSignals
import Vapor

/// Builds and runs the Cadenza application for each command of the executable: the features
/// (`Features.all`) are configured in order, and this process's services run as one
/// swift-service-lifecycle group.
public enum CadenzaApp {
    /// Creates a configured, migrated application. The caller owns it and must `asyncShutdown()` it.
    public static func make(
        settings: Settings, environment: Environment = .production, migrate: Bool = true,
        features: [any Feature] = Features.all
    ) async throws -> Application {
        var env = environment
        env.arguments = [env.arguments.first ?? "cadenza"]
        let app = try await Application.make(env)
        do {
            try await configure(app, settings: settings, features: features)
            if migrate {
                try await app.migrateOnce()
            }
            return app
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
    }

    public static func configure(_ app: Application, settings: Settings, features: [any Feature] = Features.all) async throws {
        var settings = settings
        try settings.include(features.flatMap(\.settingsSections))
        // Never below debug: at trace, Vapor's HTTP decoder and the database drivers log whole
        // requests and statements, credentials (Authorization, Subsonic p=/t=, apiKey) included.
        app.logger.logLevel = max(settings.logLevel, .debug)
        app.http.server.configuration.hostname = settings.host
        app.http.server.configuration.port = settings.port
        app.http.server.configuration.serverName = "Cadenza"
        // A connection that sends half a request and then nothing is closed, not kept forever.
        app.http.server.configuration.idleTimeout = .milliseconds(Int64(settings.idleTimeout * 1000))
        // Off unless a response asks for it (the web app's files): streams and events stay unbuffered.
        app.http.server.configuration.responseCompression = .disabled(
            initialByteBufferCapacity: 1024, allowedTypes: .none,
            allowRequestOverrides: true)
        app.routes.defaultMaxBodySize = ByteCount(integerLiteral: settings.maxBodyBytes)
        try app.configureDatabase(settings)
        for feature in features { app.migrations.add(feature.migrations) }
        try await app.prepareSQLiteConnections()
        app.passwords.use(.bcrypt(cost: settings.bcryptCost))

        let jobs = JobRegistry()
        let events = EventRegistry()
        let states = StateBuilder()
        let context = FeatureContext(application: app, settings: settings, jobs: jobs, states: states)
        for feature in features {
            try feature.configure(context)
            try events.register(feature.eventTypes)
            feature.eventAudiences.forEach(events.register(audience:))
            events.register(notifiable: feature.notifiableEvents)
        }
        let hub = EventHub(db: app.sql, registry: events, poll: .milliseconds(Int64(settings.eventPollInterval * 1000)), logger: app.logger)
        let services = try AppServices(
            settings: settings, secrets: try SecretBox.load(settings: settings), jobs: jobs, events: events,
            hub: hub, leases: LeaseRenewals(db: app.sql, logger: app.logger), features: features, states: states)
        app.install(services)
        app.storage[RunningKey.self] = NIOLockedValueBox(nil)

        // Dates to the millisecond, as events carry them: a station's instants are sample-exact.
        let json = JSONEncoder()
        json.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(date))
        }
        ContentConfiguration.global.use(encoder: json, for: .json)
        app.middleware = .init()
        if settings.otlpEndpoint != nil { app.middleware.use(TracingMiddleware()) }
        app.middleware.use(RequestIDMiddleware())
        if settings.accessLog { app.middleware.use(AccessLogMiddleware()) }
        app.middleware.use(JSONErrorMiddleware())
        try routes(app, features: features, services: services)
    }

    /// The services a process with `roles` runs, in start order (they stop in reverse).
    static func services(_ app: Application, roles: Set<Settings.Role>) throws -> [any Service] {
        let services = try app.cadenza
        let settings = services.settings
        var list: [any Service] = []
        if let url = settings.databaseURL, !roles.isEmpty {
            list.append(
                try PostgresListener(
                    url: url,
                    channels: [
                        JobQueue.notifyChannel: { _ in WakeSignal.jobs.signal() },
                        EventStore.notifyChannel: { _ in WakeSignal.events.signal() },
                        Invalidations.notifyChannel: Invalidations.dispatcher(
                            services.features.reduce(into: [:]) { all, feature in
                                all.merge(feature.invalidations(services)) { first, _ in first }
                            }),
                    ],
                    logger: app.logger))
        }
        if roles.contains(.api) { list.append(services.hub) }
        if roles.contains(.worker) {
            list.append(JobWorker(app: app, services: services))
            // Beside the event tail (the api role), which wakes them for what other processes
            // write, consumers poll only as a last resort: a dozen reads a second fewer at idle.
            let interval = roles.contains(.api) ? max(settings.eventPollInterval, 10) : settings.eventPollInterval
            let poll = Duration.milliseconds(Int64(interval * 1000))
            for consumer in services.features.flatMap({ $0.eventConsumers(services) }) {
                list.append(EventConsumerService(consumer: consumer, database: app.db, poll: poll, leases: services.leases, logger: app.logger))
            }
        }
        if roles.contains(.scheduler) {
            let tasks = services.features.flatMap { $0.periodicTasks(settings) }
            list.append(Scheduler(db: app.db, tasks: tasks, logger: app.logger).service(leases: services.leases))
        }
        let context = ServiceContext(application: app, services: services, roles: roles, logger: app.logger)
        for feature in services.features { list += feature.services(context) }
        if !roles.isEmpty {
            list.append(FreedMemoryService(releaseCaches: { [app] in await app.releaseSQLiteCaches() }))
            list.append(PresenceService(db: app.sql, leases: services.leases))
        }
        return list
    }

    /// Starts this process's services in the background (tests, and embedding); `stopServices`
    /// shuts them down gracefully.
    public static func startServices(_ app: Application, roles: Set<Settings.Role>) async throws {
        let list = try services(app, roles: roles)
        if roles.contains(.api) { try await app.cadenza.hub.prepare() }
        let group = ServiceGroup(configuration: .init(services: list.map { .init(service: $0) }, logger: app.logger))
        let task = Task { try await group.run() }
        app.storage[RunningKey.self]?.withLockedValue { $0 = Running(group: group, task: task) }
    }

    /// Stops background services: workers finish or release their jobs, live clients are closed.
    public static func stopServices(_ app: Application) async {
        guard
            let running = app.storage[RunningKey.self]?.withLockedValue({ state in
                defer { state = nil }
                return state
            })
        else { return }
        await running.group.triggerGracefulShutdown()
        if case .failure(let error) = await running.task.result {
            app.logger.warning("a service failed", metadata: ["error": .string("\(error)")])
        }
    }

    /// Runs the HTTP server (with the other roles in-process) until SIGINT/SIGTERM, then shuts
    /// every service down gracefully, the HTTP server first.
    public static func serve(settings: Settings) async throws {
        // A playout process starts without the database (it airs from its own disk while the
        // database is away): the servers migrate, not it.
        let playoutOnly = settings.roles == [.playout]
        // First, so spans of the migrations and start-up have a tracer; it stops last, flushing.
        let tracing = try CadenzaTracing.bootstrap(settings)
        let app = try await make(settings: settings, migrate: !playoutOnly)
        do {
            let context = ServiceContext(application: app, services: try app.cadenza, roles: settings.roles, logger: app.logger)
            if !playoutOnly { for feature in try app.cadenza.features { try await feature.willServe(context) } }
            var list = try (tracing.map { [$0] } ?? []) + services(app, roles: settings.roles)
            if settings.roles.contains(.api) || settings.roles.contains(.playout) {
                if settings.roles.contains(.api) { try await app.cadenza.hub.prepare() }
                try await app.asyncBoot()
                list.append(HTTPServerService(app: app))
            } else if settings.operationsPort > 0 {
                // A worker: its own figures for the scraper and its health for the supervisor, nothing else.
                app.http.server.configuration.port = settings.operationsPort
                app.middleware.use(OperationsOnlyMiddleware(), at: .beginning)
                try await app.asyncBoot()
                list.append(HTTPServerService(app: app))
            }
            let group = ServiceGroup(
                configuration: .init(
                    services: list.map { .init(service: $0) }, gracefulShutdownSignals: [.sigterm, .sigint], logger: app.logger))
            try await group.run()
            app.logger.info("shut down")
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
        try await app.asyncShutdown()
    }

    /// Runs workers and the scheduler (no HTTP) until SIGINT/SIGTERM.
    public static func work(settings: Settings) async throws {
        var settings = settings
        settings.roles = [.worker, .scheduler]
        try await serve(settings: settings)
    }

    private struct Running: Sendable {
        var group: ServiceGroup
        var task: Task<Void, any Error>
    }

    private struct RunningKey: StorageKey { typealias Value = NIOLockedValueBox<Running?> }
}

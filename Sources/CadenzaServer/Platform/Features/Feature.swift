import Fluent
import Logging
import SQLKit
import ServiceLifecycle
import Vapor

/// Everything one feature folder adds to the application. The wiring (`Features.swift`) lists
/// the features once; the platform asks each in turn and names none of them.
///
/// Each requirement has a default that adds nothing, so a feature states only what it has.
public protocol Feature: Sendable {
    /// Short name, for logs.
    var name: String { get }
    /// The feature's settings, read and checked with the platform's at start.
    var settingsSections: [any SettingsSection.Type] { get }
    /// The feature's own migrations, in release order (append-only). Features are migrated in
    /// the order the wiring lists them, so a feature comes after the ones whose tables it names.
    var migrations: [any Migration] { get }
    /// The event types the feature writes (its `<Feature>Events.all`).
    var eventTypes: [EventDescriptor] { get }
    /// Audiences the feature decides (followers of a user, guests of a room).
    var eventAudiences: [any EventAudience] { get }
    /// The feature's event types users can be notified of, and what a notification says.
    var notifiableEvents: [NotifiableEvent] { get }
    /// Builds the feature's state and registers its job kinds; runs once, before routes and services.
    func configure(_ context: FeatureContext) throws
    /// Adds the feature's HTTP routes.
    func routes(_ routes: FeatureRoutes) throws
    /// The OpenAPI description of the routes it adds under `/api/v1`.
    var apiDocumentation: APIDocumentation { get }
    /// Work the scheduler queues periodically.
    func periodicTasks(_ settings: Settings) -> [PeriodicTask]
    /// Long-running services and durable event consumers this process runs for its roles.
    func services(_ context: ServiceContext) -> [any Service]
    /// Durable event consumers (run by worker processes, one reader per name in the cluster).
    func eventConsumers(_ services: AppServices) -> [EventConsumer]
    /// Runs once in `cadenza serve`/`worker` before the services start (first-run notices,
    /// folders named on the command line).
    func willServe(_ context: ServiceContext) async throws
    /// Folders of the media directory holding what users gave the server (uploads, recordings):
    /// `cadenza backup` copies them, `cadenza restore` puts them back.
    var backupDirectories: [String] { get }
    /// What the feature's caches forget when another node says so (`Invalidations.publish`), by topic.
    func invalidations(_ services: AppServices) -> [String: Invalidations.Handler]
    /// The feature's queues as `/metrics` reports them (how many wait, how long the oldest has).
    func queueGauges(on db: any SQLDatabase) async throws -> [QueueGauge]
    /// A backup was restored into another media directory: paths the feature stored under `old`
    /// must now point under `new`.
    func mediaDirectoryMoved(from old: String, to new: String, on db: any SQLDatabase) async throws
}

extension Feature {
    public var settingsSections: [any SettingsSection.Type] { [] }
    public var migrations: [any Migration] { [] }
    public var eventTypes: [EventDescriptor] { [] }
    public var eventAudiences: [any EventAudience] { [] }
    public var notifiableEvents: [NotifiableEvent] { [] }
    public func configure(_ context: FeatureContext) throws {}
    public func routes(_ routes: FeatureRoutes) throws {}
    public var apiDocumentation: APIDocumentation { APIDocumentation() }
    public func periodicTasks(_ settings: Settings) -> [PeriodicTask] { [] }
    public func services(_ context: ServiceContext) -> [any Service] { [] }
    public func eventConsumers(_ services: AppServices) -> [EventConsumer] { [] }
    public func willServe(_ context: ServiceContext) async throws {}
    public var backupDirectories: [String] { [] }
    public func queueGauges(on db: any SQLDatabase) async throws -> [QueueGauge] { [] }
    public func invalidations(_ services: AppServices) -> [String: Invalidations.Handler] { [:] }
    public func mediaDirectoryMoved(from old: String, to new: String, on db: any SQLDatabase) async throws {}
}

/// What a feature's `configure` may use and add to.
public struct FeatureContext {
    public let settings: Settings
    public let jobs: JobRegistry
    public let logger: Logger
    /// The application, for what Vapor keeps there (password hashers, the database).
    public let application: Application
    fileprivate let states: StateBuilder

    /// Keeps a value the feature's handlers read back with `app.cadenza.state(T.self)`.
    public func provide<State: Sendable>(_ state: State) {
        states.values[ObjectIdentifier(State.self)] = state
    }
}

/// Collects feature state while features configure; frozen into ``AppServices`` afterwards.
final class StateBuilder {
    var values: [ObjectIdentifier: any Sendable] = [:]
}

/// Where a feature adds routes: the host root (protocols whose clients expect fixed paths) and
/// the authenticated REST API under `/api/v1`.
public struct FeatureRoutes {
    public let root: any RoutesBuilder
    public let api: any RoutesBuilder
    public let services: AppServices
}

/// What a feature's services are built from.
public struct ServiceContext {
    public let application: Application
    public let services: AppServices
    public let roles: Set<Settings.Role>
    public let logger: Logger
}

extension FeatureContext {
    init(application: Application, settings: Settings, jobs: JobRegistry, states: StateBuilder) {
        self.application = application
        self.settings = settings
        self.jobs = jobs
        self.logger = application.logger
        self.states = states
    }
}

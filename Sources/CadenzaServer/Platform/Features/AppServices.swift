import Vapor

/// What the platform gives every feature, built once in `CadenzaApp.configure` and never changed
/// after: settings, the secret box, the job and event registries, the live-event hub, and the
/// state each feature provided while it configured.
public final class AppServices: Sendable {
    public let settings: Settings
    public let secrets: SecretBox
    public let jobs: JobRegistry
    public let events: EventRegistry
    public let hub: EventHub
    /// The leases this process leads, renewed together.
    public let leases: LeaseRenewals
    /// The features, in the order the wiring lists them.
    let features: [any Feature]
    /// The OpenAPI document of `/api/v1`, joined from every feature's part.
    public let apiDocument: String
    private let states: [ObjectIdentifier: any Sendable]

    init(
        settings: Settings, secrets: SecretBox, jobs: JobRegistry, events: EventRegistry, hub: EventHub, leases: LeaseRenewals,
        features: [any Feature], states: StateBuilder
    ) throws {
        self.settings = settings
        self.secrets = secrets
        self.jobs = jobs
        self.events = events
        self.hub = hub
        self.leases = leases
        self.features = features
        self.states = states.values
        self.apiDocument = try APIDocumentation.document(features.map(\.apiDocumentation))
    }

    /// How many migrations the features declare, for readiness checks.
    public var migrationCount: Int { features.reduce(0) { $0 + $1.migrations.count } }

    /// A feature's state, as it provided it in `configure`.
    public func state<State: Sendable>(_ type: State.Type) throws -> State {
        guard let value = states[ObjectIdentifier(type)] as? State else { throw NotConfigured(what: String(describing: type)) }
        return value
    }

    /// Asked for before `CadenzaApp.configure` built it, or never provided: a wiring mistake,
    /// answered as a 500 rather than a crash.
    public struct NotConfigured: Error, CustomStringConvertible {
        public var what: String
        public var description: String { "\(what) is not configured" }
    }
}

extension Application {
    private struct AppServicesKey: StorageKey { typealias Value = AppServices }

    /// The services `CadenzaApp.configure` built.
    public var cadenza: AppServices {
        get throws {
            guard let services = storage[AppServicesKey.self] else { throw AppServices.NotConfigured(what: "the application") }
            return services
        }
    }

    func install(_ services: AppServices) {
        storage[AppServicesKey.self] = services
    }

    public var settings: Settings {
        get throws { try cadenza.settings }
    }
}

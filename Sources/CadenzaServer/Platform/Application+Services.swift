import NIOConcurrencyHelpers
import Vapor

/// Per-application services, kept in Vapor's storage so every request and job reaches them.
extension Application {
    private struct SettingsKey: StorageKey { typealias Value = Settings }
    private struct JobRegistryKey: StorageKey { typealias Value = JobRegistry }
    private struct SignalsKey: StorageKey { typealias Value = Signals }
    private struct RuntimeKey: StorageKey { typealias Value = Runtime }

    struct Signals: Sendable {
        let jobs = WakeSignal()
        let events = WakeSignal()
    }

    /// Background services this process runs, by role.
    final class Runtime: Sendable {
        let worker = NIOLockedValueBox<JobWorker?>(nil)
        let scheduler = NIOLockedValueBox<Scheduler?>(nil)
        let hub = NIOLockedValueBox<EventHub?>(nil)
        let listener = NIOLockedValueBox<PostgresListener?>(nil)
    }

    public var settings: Settings {
        get {
            guard let settings = storage[SettingsKey.self] else {
                fatalError("Settings are stored by CadenzaApp.configure before anything reads them")
            }
            return settings
        }
        set { storage[SettingsKey.self] = newValue }
    }

    /// Installs every shared service once, before any request, job or background task runs:
    /// Vapor's storage is a plain dictionary, and filling it lazily from two threads at once
    /// loses one of the writes (seen as an event hub that vanished under load).
    func installServices() throws {
        storage[JobRegistryKey.self] = JobRegistry()
        storage[SignalsKey.self] = Signals()
        storage[RuntimeKey.self] = Runtime()
        storage[SecretBoxKey.self] = try SecretBox.load(settings: settings)
        installCatalogCache()
        installListenIngest()
        installBufferedRateLimiter()
        installTokenCache()
    }

    public var jobRegistry: JobRegistry {
        if let registry = storage[JobRegistryKey.self] { return registry }
        let registry = JobRegistry()
        storage[JobRegistryKey.self] = registry
        return registry
    }

    var signals: Signals {
        if let signals = storage[SignalsKey.self] { return signals }
        let signals = Signals()
        storage[SignalsKey.self] = signals
        return signals
    }

    var jobSignal: WakeSignal { signals.jobs }
    var eventSignal: WakeSignal { signals.events }

    var runtime: Runtime {
        if let runtime = storage[RuntimeKey.self] { return runtime }
        let runtime = Runtime()
        storage[RuntimeKey.self] = runtime
        return runtime
    }

    var eventHub: EventHub? { runtime.hub.withLockedValue { $0 } }
    var jobWorker: JobWorker? { runtime.worker.withLockedValue { $0 } }

    /// Wakes this process's workers and event tail after a commit (SQLite has no NOTIFY).
    public func didCommit() {
        jobSignal.signal()
        eventSignal.signal()
    }
}

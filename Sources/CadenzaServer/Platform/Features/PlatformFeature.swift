import Fluent
import Vapor

/// The platform's own part: the job queue, the event log, leases, rate limits and instance
/// state; operations endpoints, the live event stream and job administration.
public struct PlatformFeature: Feature {
    public init() {}

    public var name: String { "platform" }

    public var migrations: [any Migration] {
        [
            M004_CreateJobs(), M005_CreateEvents(), M006_CreateRateLimits(), M007_CreateServerState(),
            M014_CreateLeasesAndEventConsumers(), M031_IndexEventsBySubject(), M042_AddTraceIDs(), M044_AddTraceParents(), M047_AddLeaseAddresses(),
        ]
    }

    public var eventTypes: [EventDescriptor] { SystemEvents.all }

    public var notifiableEvents: [NotifiableEvent] { SystemEvents.notifiable }

    public func configure(_ context: FeatureContext) throws {
        SystemJobs.register(on: context.jobs)
        context.provide(EventStreamLimits())
    }

    public func periodicTasks(_ settings: Settings) -> [PeriodicTask] { SystemJobs.periodic }

    public func routes(_ routes: FeatureRoutes) throws {
        let app = routes.root
        app.get("healthz", use: OperationsController.healthz)
        app.get("readyz", use: OperationsController.readyz)
        app.get("metrics", use: OperationsController.metrics)

        let api = routes.api
        api.get("jobs", use: JobsController.list)
        api.post("jobs", "ping", use: JobsController.ping)
        api.get("jobs", ":id", use: JobsController.show)
        api.post("jobs", ":id", "retry", use: JobsController.retry)
        api.post("jobs", ":id", "cancel", use: JobsController.cancel)
        api.get("events", use: EventsController.sse)
        api.get("events", "types", use: EventsController.types)
        api.grouped(EventsController.RequireUpgrade()).webSocket(
            "events", "ws", maxFrameSize: .init(integerLiteral: 1 << 16), onUpgrade: EventsController.websocket)
    }
}

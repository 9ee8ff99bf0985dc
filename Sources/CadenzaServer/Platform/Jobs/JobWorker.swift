import Tracing
import Fluent
import Metrics
import ServiceLifecycle
import NIOConcurrencyHelpers
import SQLKit
import Vapor

/// Runs queued jobs: `concurrency` loops each claim a job with a lease, keep the lease alive
/// while the handler runs, and record the outcome only if the lease is still theirs.
public final class JobWorker: Service, Sendable {
    let owner: String
    private let app: Application
    private let services: AppServices
    private var registry: JobRegistry { services.jobs }
    private let concurrency: Int
    private let lease: TimeInterval
    private let poll: TimeInterval
    private let grace: Duration
    private let stopping = NIOLockedValueBox(false)
    private let loops = NIOLockedValueBox<Task<Void, Never>?>(nil)

    init(app: Application, services: AppServices) {
        let settings = services.settings
        self.app = app
        self.services = services
        self.owner = Leases.processOwner()
        self.concurrency = settings.workerConcurrency
        self.lease = settings.jobLease
        self.poll = settings.jobPollInterval
        self.grace = .milliseconds(Int64(settings.jobShutdownGrace * 1000))
    }

    /// Claims and runs jobs until graceful shutdown, then lets running jobs finish for up to
    /// `grace` before cancelling and releasing them.
    public func run() async throws {
        let task = Task {
            await withTaskGroup(of: Void.self) { group in
                for slot in 0..<concurrency {
                    group.addTask { await self.loop(slot: slot) }
                }
            }
        }
        loops.withLockedValue { $0 = task }
        app.logger.debug("job worker started", metadata: ["owner": .string(owner), "concurrency": .stringConvertible(concurrency)])
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                await task.value
            } onCancel: {
                task.cancel()
            }
        } onGracefulShutdown: {
            self.stop(grace: self.grace)
        }
        app.logger.info("job worker stopped", metadata: ["owner": .string(owner)])
    }

    /// Stops claiming; running jobs have `grace` to finish before they are cancelled and released.
    func stop(grace: Duration) {
        stopping.withLockedValue { $0 = true }
        WakeSignal.jobs.signal()
        guard let task = loops.withLockedValue({ $0 }) else { return }
        Task {
            try? await Task.sleep(for: grace)
            task.cancel()
        }
    }

    private var isStopping: Bool { stopping.withLockedValue { $0 } }

    private func loop(slot: Int) async {
        let logger = app.logger
        while !isStopping && !Task.isCancelled {
            let generation = WakeSignal.jobs.generation
            do {
                if let job = try await JobQueue.claim(owner: owner, lease: lease, kinds: registry.kinds, on: app.sql) {
                    await run(job)
                    continue
                }
            } catch {
                logger.warning("job claim failed", metadata: ["error": .string("\(error)")])
            }
            await WakeSignal.jobs.wait(since: generation, timeout: .milliseconds(Int64(poll * 1000)))
        }
    }

    private func run(_ job: JobRecord) async {
        var logger = app.logger
        logger[metadataKey: "job-id"] = .stringConvertible(job.id)
        logger[metadataKey: "job-kind"] = .string(job.kind)
        if let trace = job.traceID { logger[metadataKey: "request-id"] = .string(trace) }
        guard let entry = registry.entry(for: job.kind) else { return }
        let db = app.sql
        if job.attempts > job.maxAttempts {
            // The previous holder died on the last attempt; do not run it again.
            // In a transaction: parking the job and announcing it (`job.failed`) are one step.
            _ = try? await app.db.writeTransaction { [owner] tx in
                try await JobQueue.fail(
                    job, owner: owner, error: job.lastError ?? "worker lost during the final attempt",
                    backoff: entry.backoff, on: tx.sql)
            }
            return
        }
        let context = JobContext(job: job, owner: owner, database: app.db, services: services, logger: logger)
        let started = ContinuousClock.now
        // What the job queues or announces names the same request.
        let handler = Task {
            try await TraceContext.$id.withValue(job.traceID) {
                try await withSpan("job \(job.kind)", context: CadenzaTracing.context(parent: job.traceParent), ofKind: .consumer) { span in
                    span.attributes["cadenza.job.id"] = job.id
                    span.attributes["cadenza.job.attempt"] = job.attempts
                    try await entry.handler(context)
                }
            }
        }
        // Heartbeat at a third of the lease so a slow job is never taken over while alive.
        let heartbeat = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(Int64(lease * 1000 / 3)))
                if Task.isCancelled { break }
                if let held = try? await JobQueue.heartbeat(id: job.id, owner: owner, lease: lease, on: db), !held {
                    logger.warning("job lease lost; cancelling the handler")
                    handler.cancel()
                    break
                }
            }
        }
        let outcome = await withTaskCancellationHandler {
            await handler.result
        } onCancel: {
            handler.cancel()
        }
        heartbeat.cancel()
        let elapsed = ContinuousClock.now - started
        let (seconds, attoseconds) = elapsed.components
        Timer(label: "cadenza_job_duration_seconds", dimensions: [("kind", job.kind)])
            .recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        do {
            switch outcome {
            case .success:
                try await JobQueue.complete(id: job.id, owner: owner, on: db)
                logger.debug("job succeeded")
            case .failure(let error) where Task.isCancelled || (error is CancellationError && isStopping):
                try await JobQueue.release(id: job.id, owner: owner, on: db)
                logger.info("job released at shutdown")
            case .failure(let error):
                var record = job
                if error is PermanentJobError { record.attempts = record.maxAttempts }
                let parked = record
                let state = try await app.db.writeTransaction { [owner] tx in
                    try await JobQueue.fail(parked, owner: owner, error: "\(error)", backoff: entry.backoff, on: tx.sql)
                }
                logger.warning("job attempt failed", metadata: ["error": .string("\(error)"), "now": .string(state.rawValue)])
            }
        } catch {
            // The lease will expire and another worker retries: nothing acknowledged is lost.
            logger.error("could not record the job outcome", metadata: ["error": .string("\(error)")])
        }
    }
}

import Metrics
import NIOConcurrencyHelpers
import SQLKit
import Vapor

/// Runs queued jobs: `concurrency` loops each claim a job with a lease, keep the lease alive
/// while the handler runs, and record the outcome only if the lease is still theirs.
final class JobWorker: Sendable {
    let owner: String
    private let app: Application
    private let concurrency: Int
    private let lease: TimeInterval
    private let poll: TimeInterval
    private let stopping = NIOLockedValueBox(false)
    private let loops = NIOLockedValueBox<Task<Void, Never>?>(nil)

    init(app: Application, settings: Settings) {
        self.app = app
        self.owner = "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier):\(UUID().uuidString.prefix(8))"
        self.concurrency = settings.workerConcurrency
        self.lease = settings.jobLease
        self.poll = settings.jobPollInterval
    }

    func start() {
        let task = Task {
            await withTaskGroup(of: Void.self) { group in
                for slot in 0..<concurrency {
                    group.addTask { await self.loop(slot: slot) }
                }
            }
        }
        loops.withLockedValue { $0 = task }
        app.logger.info("job worker started", metadata: ["owner": .string(owner), "concurrency": .stringConvertible(concurrency)])
    }

    /// Stops claiming, lets running jobs finish for up to `grace`, then cancels and releases them.
    func stop(grace: Duration = .seconds(10)) async {
        stopping.withLockedValue { $0 = true }
        app.jobSignal.signal()
        guard let task = loops.withLockedValue({ $0 }) else { return }
        let timer = Task {
            try? await Task.sleep(for: grace)
            task.cancel()
        }
        await task.value
        timer.cancel()
        app.logger.info("job worker stopped", metadata: ["owner": .string(owner)])
    }

    private var isStopping: Bool { stopping.withLockedValue { $0 } }

    private func loop(slot: Int) async {
        let logger = app.logger
        while !isStopping && !Task.isCancelled {
            let generation = app.jobSignal.generation
            do {
                if let job = try await JobQueue.claim(owner: owner, lease: lease, kinds: app.jobRegistry.kinds, on: app.sql) {
                    await run(job)
                    continue
                }
            } catch {
                logger.warning("job claim failed", metadata: ["error": .string("\(error)")])
            }
            await app.jobSignal.wait(since: generation, timeout: .milliseconds(Int64(poll * 1000)))
        }
    }

    private func run(_ job: JobRecord) async {
        var logger = app.logger
        logger[metadataKey: "job-id"] = .stringConvertible(job.id)
        logger[metadataKey: "job-kind"] = .string(job.kind)
        guard let entry = app.jobRegistry.entry(for: job.kind) else { return }
        let db = app.sql
        if job.attempts > job.maxAttempts {
            // The previous holder died on the last attempt; do not run it again.
            _ = try? await JobQueue.fail(job, owner: owner, error: job.lastError ?? "worker lost during the final attempt",
                                         backoff: entry.backoff, on: db)
            return
        }
        let context = JobContext(job: job, owner: owner, application: app, logger: logger)
        let started = ContinuousClock.now
        let handler = Task { try await entry.handler(context) }
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
                let state = try await JobQueue.fail(record, owner: owner, error: "\(error)", backoff: entry.backoff, on: db)
                logger.warning("job attempt failed", metadata: ["error": .string("\(error)"), "now": .string(state.rawValue)])
            }
        } catch {
            // The lease will expire and another worker retries: nothing acknowledged is lost.
            logger.error("could not record the job outcome", metadata: ["error": .string("\(error)")])
        }
    }
}

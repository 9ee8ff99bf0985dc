import Fluent
import SQLKit
import Vapor

/// Jobs the platform itself needs: housekeeping and the worker health check.
enum SystemJobs {
    static let cleanup = "system.cleanup"
    static let ping = "system.ping"

    static let periodic: [PeriodicTask] = [
        .init(name: "cleanup", interval: 3600, kind: cleanup)
    ]

    struct PingPayload: Codable {
        /// Simulated work, so operators (and tests) can watch a long job survive a worker crash.
        var delayMillis: Int?
        var note: String?
    }

    static func register(on jobs: JobRegistry) {
        jobs.register(cleanup) { context in
            let db = context.db
            let now = Clock.nowMillis()
            try await RateLimiter.deleteOld(before: now - 86_400_000, on: db)
            try await JobQueue.deleteFinished(before: now - 7 * 86_400_000, on: db)
            try await EventStore.deleteOld(before: now - 30 * 86_400_000, on: db)
        }

        // Proves the queue end to end: the pong event and the job's completion commit together,
        // so each ping yields exactly one pong however often workers crash.
        jobs.register(ping, backoff: Backoff(base: 1, cap: 30)) { context in
            let payload = (try? context.job.decodePayload(PingPayload.self)) ?? PingPayload()
            if let delay = payload.delayMillis, delay > 0 {
                try await Task.sleep(for: .milliseconds(min(delay, 600_000)))
            }
            try await context.database.writeTransaction { tx in
                guard try await context.complete(on: tx.sql) else { return }
                try await EventStore.append(
                    SystemEvents.pong, payload: .init(jobId: String(context.job.id), note: payload.note, worker: context.owner),
                    actorID: nil, subjectID: String(context.job.id), on: tx.sql)
            }
        }
    }
}

import Fluent
import SQLKit
import Vapor

/// Jobs the platform itself needs: housekeeping and the worker health check.
enum SystemJobs {
    static let cleanup = "system.cleanup"
    static let ping = "system.ping"

    static let periodic: [Scheduler.Periodic] = [
        .init(name: "cleanup", interval: 3600, kind: cleanup),
    ]

    struct PingPayload: Codable {
        /// Simulated work, so operators (and tests) can watch a long job survive a worker crash.
        var delayMillis: Int?
        var note: String?
    }

    static func register(on app: Application) {
        app.jobRegistry.register(cleanup) { context in
            let db = context.db
            let now = Clock.nowMillis()
            try await SessionStore.deleteExpired(on: db)
            try await RateLimiter.deleteOld(before: now - 86_400_000, on: db)
            try await JobQueue.deleteFinished(before: now - 7 * 86_400_000, on: db)
            try await EventStore.deleteOld(before: now - 30 * 86_400_000, on: db)
        }

        // Proves the queue end to end: the pong event and the job's completion commit together,
        // so each ping yields exactly one pong however often workers crash.
        app.jobRegistry.register(ping, backoff: Backoff(base: 1, cap: 30)) { context in
            let payload = (try? context.job.decodePayload(PingPayload.self)) ?? PingPayload()
            if let delay = payload.delayMillis, delay > 0 {
                try await Task.sleep(for: .milliseconds(min(delay, 600_000)))
            }
            try await context.application.db.writeTransaction { tx in
                guard try await context.complete(on: tx.sql) else { return }
                struct Pong: Encodable { var jobId: String; var note: String?; var worker: String }
                try await EventStore.append(
                    type: "system.pong", actorID: nil, subjectType: "job", subjectID: String(context.job.id),
                    payload: Pong(jobId: String(context.job.id), note: payload.note, worker: context.owner),
                    visibility: .admin, on: tx.sql)
            }
            context.application.didCommit()
        }
    }
}

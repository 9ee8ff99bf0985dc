import Fluent
import NIOConcurrencyHelpers
import SQLKit
import Vapor

/// Periodic work: every interval, one job per task is queued. Each tick runs in a transaction
/// holding a PostgreSQL advisory lock, so among many processes only one schedules at a time,
/// and the next-run times live in the database, so a restart neither skips nor repeats a run.
final class Scheduler: Sendable {
    struct Periodic: Sendable {
        var name: String
        var interval: TimeInterval
        var kind: String
    }

    static let advisoryLockKey: Int64 = 0x6361_6465_6e7a_61   // "cadenza"

    private let app: Application
    private let tasks: [Periodic]
    private let runner = NIOLockedValueBox<_Concurrency.Task<Void, Never>?>(nil)

    init(app: Application, tasks: [Periodic]) {
        self.app = app
        self.tasks = tasks
    }

    func start() {
        let loop = _Concurrency.Task {
            while !_Concurrency.Task.isCancelled {
                do { try await self.tick() } catch {
                    self.app.logger.warning("scheduler tick failed", metadata: ["error": .string("\(error)")])
                }
                try? await _Concurrency.Task.sleep(for: .seconds(5))
            }
        }
        runner.withLockedValue { $0 = loop }
    }

    func stop() async {
        guard let loop = runner.withLockedValue({ $0 }) else { return }
        loop.cancel()
        await loop.value
    }

    /// Queues every task that is due; returns the names queued.
    @discardableResult
    func tick() async throws -> [String] {
        try await app.db.writeTransaction { tx in
            let sql = tx.sql
            if sql.isPostgres {
                let row = try await sql.raw("SELECT pg_try_advisory_xact_lock(\(bind: Self.advisoryLockKey)) AS leader").first()
                guard try row?.decode(column: "leader", as: Bool.self) == true else { return [] }
            }
            let now = Clock.nowMillis()
            var queued: [String] = []
            for task in self.tasks {
                let key = "schedule:\(task.name)"
                let next = try await sql.raw("SELECT value FROM server_state WHERE key = \(bind: key)").first()
                    .flatMap { Int64(try $0.decode(column: "value", as: String.self)) } ?? 0
                guard next <= now else { continue }
                try await JobQueue.enqueue(.init(kind: task.kind, payload: [String: String](), maxAttempts: 3,
                                                 uniqueKey: "periodic:\(task.name)"), on: sql)
                let following = String(now + Int64(task.interval * 1000))
                try await sql.raw("""
                    INSERT INTO server_state (key, value, updated_at) VALUES (\(bind: key), \(bind: following), \(bind: now))
                    ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
                    """).run()
                queued.append(task.name)
            }
            return queued
        }
    }
}

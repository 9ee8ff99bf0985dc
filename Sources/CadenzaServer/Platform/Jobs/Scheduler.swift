import Fluent
import NIOConcurrencyHelpers
import SQLKit
import Vapor

/// Work a feature wants queued every `interval` seconds, as a job of `kind`.
public struct PeriodicTask: Sendable {
    public var name: String
    public var interval: TimeInterval
    public var kind: String
    public init(name: String, interval: TimeInterval, kind: String) {
        self.name = name
        self.interval = interval
        self.kind = kind
    }
}

/// Periodic work: every interval, one job per task is queued. Each tick runs in a transaction
/// holding a PostgreSQL advisory lock, so among many processes only one schedules at a time,
/// and the next-run times live in the database, so a restart neither skips nor repeats a run.
///
/// As a service it runs under the `scheduler` lease, so one process of the cluster ticks.
public final class Scheduler: Sendable {
    public typealias Periodic = PeriodicTask

    static let advisoryLockKey: Int64 = 0x6361_6465_6e7a_61  // "cadenza"

    private let db: any Database
    private let tasks: [Periodic]
    private let logger: Logger

    init(db: any Database, tasks: [Periodic], logger: Logger) {
        self.db = db
        self.tasks = tasks
        self.logger = logger
    }

    /// Ticks every few seconds until cancelled.
    func loop() async {
        while !_Concurrency.Task.isCancelled {
            do { try await self.tick() } catch {
                logger.warning("scheduler tick failed", metadata: ["error": .string("\(error)")])
            }
            try? await _Concurrency.Task.sleep(for: .seconds(5))
        }
    }

    /// The service: the loop, in one process of the cluster at a time.
    func service(leases: LeaseRenewals? = nil) -> LeaderService {
        LeaderService(key: "scheduler", db: db.sql, renewals: leases, logger: logger) { await self.loop() }
    }

    /// Queues one run of `task` now, as a tick does; nil when one is already queued or running.
    @discardableResult
    static func queueNow(_ task: PeriodicTask, on db: any SQLDatabase) async throws -> Int64? {
        try await JobQueue.enqueue(
            .init(kind: task.kind, payload: [String: String](), maxAttempts: 3, uniqueKey: "periodic:\(task.name)"), on: db)
    }

    /// Queues every task that is due; returns the names queued.
    @discardableResult
    func tick() async throws -> [String] {
        try await db.writeTransaction { tx in
            let sql = tx.sql
            if sql.isPostgres {
                let row = try await sql.raw("SELECT pg_try_advisory_xact_lock(\(bind: Self.advisoryLockKey)) AS leader").first()
                guard try row?.decode(column: "leader", as: Bool.self) == true else { return [] }
            }
            let now = Clock.nowMillis()
            var queued: [String] = []
            for task in self.tasks {
                let key = "schedule:\(task.name)"
                let next =
                    try await sql.raw("SELECT value FROM server_state WHERE key = \(bind: key)").first()
                    .flatMap { Int64(try $0.decode(column: "value", as: String.self)) } ?? 0
                guard next <= now else { continue }
                try await Self.queueNow(task, on: sql)
                let following = String(now + Int64(task.interval * 1000))
                try await sql.raw(
                    """
                    INSERT INTO server_state (key, value, updated_at) VALUES (\(bind: key), \(bind: following), \(bind: now))
                    ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
                    """
                ).run()
                queued.append(task.name)
            }
            return queued
        }
    }
}

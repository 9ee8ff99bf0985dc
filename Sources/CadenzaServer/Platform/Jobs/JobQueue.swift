import SQLKit
import Vapor

/// The durable job queue: named static queries over the `jobs` table, callable inside any
/// transaction so work is queued atomically with the change that needs it.
public enum JobQueue {
    public struct NewJob: Sendable {
        public var kind: String
        public var payload: String
        public var priority: Int
        public var runAt: Int64?
        public var maxAttempts: Int
        public var uniqueKey: String?

        public init<P: Encodable>(
            kind: String, payload: P, priority: Int = 0, runAt: Date? = nil,
            maxAttempts: Int = 5, uniqueKey: String? = nil
        ) throws {
            self.kind = kind
            self.payload = try JSONValue.text(payload)
            self.priority = priority
            self.runAt = runAt.map(Clock.millis)
            self.maxAttempts = max(1, maxAttempts)
            self.uniqueKey = uniqueKey
        }
    }

    static let notifyChannel = "cadenza_jobs"

    /// Queues a job; returns its id, or `nil` when a live job with the same unique key exists.
    @discardableResult
    public static func enqueue(_ job: NewJob, on db: any SQLDatabase) async throws -> Int64? {
        let now = Clock.nowMillis()
        let row = try await db.raw(
            """
            INSERT INTO jobs (kind, payload, priority, run_at, attempts, max_attempts, state, unique_key, created_at, updated_at, trace_id, trace_parent)
            VALUES (\(bind: job.kind), \(bind: job.payload), \(bind: job.priority), \(bind: job.runAt ?? now), 0,
                    \(bind: job.maxAttempts), 'queued', \(bind: job.uniqueKey), \(bind: now), \(bind: now), \(bind: TraceContext.id),
                    \(bind: CadenzaTracing.currentParent))
            ON CONFLICT DO NOTHING RETURNING id
            """
        ).first()
        guard let row else { return nil }
        if db.isPostgres {
            // Delivered at commit, so a woken worker always finds the row.
            try await db.raw("SELECT pg_notify(\(bind: notifyChannel), '')").run()
        }
        WakeSignal.jobs.signal(after: db)
        return try row.decode(column: "id", as: Int64.self)
    }

    /// `count` copies of a job without a unique key, in multi-row statements and one wake-up:
    /// ten thousand single inserts (and as many NOTIFYs) took longer than a client waits.
    public static func enqueue(copies count: Int, of job: NewJob, on db: any SQLDatabase) async throws -> [Int64] {
        guard count > 0 else { return [] }
        guard job.uniqueKey == nil else { return try await enqueue(job, on: db).map { [$0] } ?? [] }
        let now = Clock.nowMillis()
        let row: [any SQLExpression] = [
            SQLBind(job.kind), SQLBind(job.payload), SQLBind(job.priority), SQLBind(job.runAt ?? now), SQLBind(0),
            SQLBind(job.maxAttempts), SQLBind("queued"), SQLBind(Optional<String>.none), SQLBind(now), SQLBind(now),
            SQLBind(TraceContext.id), SQLBind(CadenzaTracing.currentParent),
        ]
        let returned = try await db.insertRows(
            into: "jobs (kind, payload, priority, run_at, attempts, max_attempts, state, unique_key, created_at, updated_at, trace_id, trace_parent)",
            rows: Array(repeating: row, count: count), suffix: "RETURNING id")
        if db.isPostgres { try await db.raw("SELECT pg_notify(\(bind: notifyChannel), '')").run() }
        WakeSignal.jobs.signal(after: db)
        return try returned.map { try $0.decode(column: "id", as: Int64.self) }.sorted()
    }

    /// How many jobs of `kind` are queued or running.
    public static func liveCount(kind: String, on db: any SQLDatabase) async throws -> Int {
        try await db.raw("SELECT COUNT(*) AS n FROM jobs WHERE kind = \(bind: kind) AND state IN ('queued', 'running')")
            .first()?.decode(column: "n", as: Int.self) ?? 0
    }

    /// Claims the most urgent due job (or one whose lease expired) for `owner`.
    ///
    /// PostgreSQL: `FOR UPDATE SKIP LOCKED` lets many workers claim concurrently without ever
    /// taking the same row. SQLite: one writer at a time serialises the statement.
    static func claim(owner: String, lease: TimeInterval, kinds: [String], on db: any SQLDatabase) async throws -> JobRecord? {
        guard !kinds.isEmpty else { return nil }
        let now = Clock.nowMillis()
        let lock: SQLQueryString = db.isPostgres ? " FOR UPDATE SKIP LOCKED" : ""
        let kindList = SQLList(kinds.map { SQLBind($0) })
        let row = try await db.raw(
            """
            UPDATE jobs SET state = 'running', lease_owner = \(bind: owner),
                lease_expires_at = \(bind: now + Int64(lease * 1000)), attempts = attempts + 1, updated_at = \(bind: now)
            WHERE id = (
                SELECT id FROM jobs
                WHERE kind IN (\(kindList))
                  AND ((state = 'queued' AND run_at <= \(bind: now))
                       OR (state = 'running' AND lease_expires_at < \(bind: now)))
                ORDER BY priority DESC, run_at, id LIMIT 1\(lock))
            RETURNING *
            """
        ).first()
        return try row.map(JobRecord.init(row:))
    }

    /// Extends the lease of a job the owner still holds; `false` means the job was lost
    /// (lease expired and taken, or cancelled) and the result must be discarded.
    static func heartbeat(id: Int64, owner: String, lease: TimeInterval, on db: any SQLDatabase) async throws -> Bool {
        let now = Clock.nowMillis()
        return try await !db.raw(
            """
            UPDATE jobs SET lease_expires_at = \(bind: now + Int64(lease * 1000)), updated_at = \(bind: now)
            WHERE id = \(bind: id) AND lease_owner = \(bind: owner) AND state = 'running' RETURNING id
            """
        ).all().isEmpty
    }

    /// Marks a held job succeeded. Idempotent: a handler may already have completed it in its own transaction.
    @discardableResult
    public static func complete(id: Int64, owner: String, on db: any SQLDatabase) async throws -> Bool {
        let now = Clock.nowMillis()
        return try await !db.raw(
            """
            UPDATE jobs SET state = 'succeeded', lease_owner = NULL, lease_expires_at = NULL,
                finished_at = \(bind: now), updated_at = \(bind: now), last_error = NULL
            WHERE id = \(bind: id) AND lease_owner = \(bind: owner) AND state = 'running' RETURNING id
            """
        ).all().isEmpty
    }

    /// Records a failed attempt: queued again after a backoff, or parked as failed when out of
    /// attempts (and announced as `job.failed`: call it inside a transaction).
    static func fail(_ job: JobRecord, owner: String, error: String, backoff: Backoff, on db: any SQLDatabase) async throws -> JobRecord.State {
        let now = Clock.nowMillis()
        let message = String(error.prefix(4000))
        if job.attempts >= job.maxAttempts {
            let parked = try await db.raw(
                """
                UPDATE jobs SET state = 'failed', lease_owner = NULL, lease_expires_at = NULL, last_error = \(bind: message),
                    finished_at = \(bind: now), updated_at = \(bind: now)
                WHERE id = \(bind: job.id) AND lease_owner = \(bind: owner) AND state = 'running' RETURNING id
                """
            ).first()
            if parked != nil {
                try await EventStore.append(
                    SystemEvents.jobFailed, payload: .init(jobId: String(job.id), kind: job.kind, error: String(message.prefix(500))),
                    actorID: nil, subjectID: String(job.id), on: db)
            }
            return .failed
        }
        let retryAt = now + Int64(backoff.delay(afterAttempt: job.attempts) * 1000)
        try await db.raw(
            """
            UPDATE jobs SET state = 'queued', lease_owner = NULL, lease_expires_at = NULL, last_error = \(bind: message),
                run_at = \(bind: retryAt), updated_at = \(bind: now)
            WHERE id = \(bind: job.id) AND lease_owner = \(bind: owner) AND state = 'running'
            """
        ).run()
        return .queued
    }

    /// Hands a job back unfinished (graceful shutdown): the attempt does not count.
    static func release(id: Int64, owner: String, on db: any SQLDatabase) async throws {
        let now = Clock.nowMillis()
        try await db.raw(
            """
            UPDATE jobs SET state = 'queued', lease_owner = NULL, lease_expires_at = NULL,
                attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, run_at = \(bind: now), updated_at = \(bind: now)
            WHERE id = \(bind: id) AND lease_owner = \(bind: owner) AND state = 'running'
            """
        ).run()
    }

    public enum ChangeError: Error, Equatable {
        case notFound
        case wrongState(JobRecord.State)
        case duplicateLive
    }

    /// Requeues a failed or cancelled job with a fresh set of attempts.
    public static func retry(id: Int64, on db: any SQLDatabase) async throws {
        guard let job = try await find(id: id, on: db) else { throw ChangeError.notFound }
        guard job.state == .failed || job.state == .cancelled else { throw ChangeError.wrongState(job.state) }
        let now = Clock.nowMillis()
        do {
            try await db.raw(
                """
                UPDATE jobs SET state = 'queued', attempts = 0, run_at = \(bind: now), updated_at = \(bind: now), finished_at = NULL
                WHERE id = \(bind: id) AND state IN ('failed', 'cancelled')
                """
            ).run()
        } catch {
            // The partial unique index refuses a second live job with the same key.
            if UniqueViolation.matches(error) { throw ChangeError.duplicateLive }
            throw error
        }
        if db.isPostgres { try await db.raw("SELECT pg_notify(\(bind: notifyChannel), '')").run() }
        WakeSignal.jobs.signal(after: db)
    }

    /// Cancels a queued or running job; a running handler's result is then discarded.
    public static func cancel(id: Int64, on db: any SQLDatabase) async throws {
        guard let job = try await find(id: id, on: db) else { throw ChangeError.notFound }
        guard job.state == .queued || job.state == .running else { throw ChangeError.wrongState(job.state) }
        let now = Clock.nowMillis()
        try await db.raw(
            """
            UPDATE jobs SET state = 'cancelled', lease_owner = NULL, lease_expires_at = NULL,
                finished_at = \(bind: now), updated_at = \(bind: now)
            WHERE id = \(bind: id) AND state IN ('queued', 'running')
            """
        ).run()
    }

    public static func find(id: Int64, on db: any SQLDatabase) async throws -> JobRecord? {
        try await db.raw("SELECT * FROM jobs WHERE id = \(bind: id)").first().map(JobRecord.init(row:))
    }

    /// Newest first, optionally one state, paged by id.
    public static func list(
        state: JobRecord.State?, kind: String? = nil, beforeID: Int64?, limit: Int, on db: any SQLDatabase
    ) async throws -> [JobRecord] {
        var query = db.select().column("*").from("jobs")
        if let state { query = query.where("state", .equal, state.rawValue) }
        if let kind { query = query.where("kind", .equal, kind) }
        if let beforeID { query = query.where("id", .lessThan, beforeID) }
        return try await query.orderBy("id", .descending).limit(limit).all().map(JobRecord.init(row:))
    }

    public static func countsByState(on db: any SQLDatabase) async throws -> [JobRecord.State: Int] {
        var counts = Dictionary(uniqueKeysWithValues: JobRecord.State.allCases.map { ($0, 0) })
        for row in try await db.raw("SELECT state, COUNT(*) AS n FROM jobs GROUP BY state").all() {
            if let state = JobRecord.State(rawValue: try row.decode(column: "state", as: String.self)) {
                counts[state] = try row.decode(column: "n", as: Int.self)
            }
        }
        return counts
    }

    /// Seconds the longest-waiting runnable job has been due (0 when none waits): queue age.
    static func oldestDueAge(on db: any SQLDatabase) async throws -> Double {
        let now = Clock.nowMillis()
        let due = try await db.raw("SELECT MIN(run_at) AS t FROM jobs WHERE state = 'queued' AND run_at <= \(bind: now)").first()?
            .decode(column: "t", as: Int64?.self)
        return due.map { max(0, Double(now - $0) / 1000) } ?? 0
    }

    static func deleteFinished(before cutoff: Int64, on db: any SQLDatabase) async throws {
        try await db.raw(
            """
            DELETE FROM jobs WHERE state IN ('succeeded', 'cancelled') AND finished_at < \(bind: cutoff)
            """
        ).run()
    }
}

/// Exponential backoff with ±25% jitter, so a crowd of failed jobs does not retry in lockstep.
public struct Backoff: Sendable {
    public var base: TimeInterval
    public var cap: TimeInterval

    public init(base: TimeInterval = 5, cap: TimeInterval = 3600) {
        self.base = base
        self.cap = cap
    }

    public func delay(afterAttempt attempt: Int) -> TimeInterval {
        let exponential = min(cap, base * pow(2, Double(max(0, attempt - 1))))
        return exponential * Double.random(in: 0.75...1.25)
    }
}

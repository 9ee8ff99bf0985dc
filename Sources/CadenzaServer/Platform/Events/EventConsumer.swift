import Tracing
import Fluent
import Logging
import ServiceLifecycle
import SQLKit

/// A server-side reader of the event log (notifications, federation delivery) with a stored
/// position: events arrive in id order, at least once, and after a restart it resumes where it
/// stopped. One process of the cluster reads per consumer name (a lease), whichever nodes run it.
///
/// The handler gets a batch and the transaction that moves the position past it: what it writes
/// to the database (a delivery job, a notification row) commits with the position, so those
/// effects happen exactly once. Effects outside the database belong in jobs queued there.
public struct EventConsumer: Sendable {
    public enum Start: Sendable {
        /// From the oldest event still kept.
        case beginning
        /// From the first event written after the consumer first ran.
        case latest
    }

    public var name: String
    /// Event type names to receive; `nil` for all. Others advance the position unseen.
    public var types: Set<String>?
    public var start: Start
    public var batchSize: Int
    public var handle: @Sendable (_ events: [EventRecord], _ tx: any Database) async throws -> Void

    public init(
        name: String, types: Set<String>? = nil, start: Start = .latest, batchSize: Int = 200,
        handle: @escaping @Sendable ([EventRecord], any Database) async throws -> Void
    ) {
        self.name = name
        self.types = types
        self.start = start
        self.batchSize = batchSize
        self.handle = handle
    }
}

/// Stored consumer positions.
public enum EventConsumerStore {
    /// The consumer's position, created at `start` the first time it is asked for.
    static func position(of consumer: EventConsumer, on db: any SQLDatabase) async throws -> Int64 {
        if let row = try await db.raw("SELECT position FROM event_consumers WHERE name = \(bind: consumer.name)").first() {
            return try row.decode(column: "position", as: Int64.self)
        }
        let initial = consumer.start == .latest ? try await EventStore.latestID(on: db) : 0
        try await db.raw(
            """
            INSERT INTO event_consumers (name, position, updated_at) VALUES (\(bind: consumer.name), \(bind: initial), \(bind: Clock.nowMillis()))
            ON CONFLICT (name) DO NOTHING
            """
        ).run()
        return try await db.raw("SELECT position FROM event_consumers WHERE name = \(bind: consumer.name)").first()?
            .decode(column: "position", as: Int64.self) ?? initial
    }

    /// Moves the position forward; false if it was not at `from` (another reader moved it).
    static func advance(_ name: String, from: Int64, to: Int64, on db: any SQLDatabase) async throws -> Bool {
        let row = try await db.raw(
            """
            UPDATE event_consumers SET position = \(bind: to), updated_at = \(bind: Clock.nowMillis())
            WHERE name = \(bind: name) AND position = \(bind: from) RETURNING position
            """
        ).first()
        return row != nil
    }

    /// The position of the consumer furthest behind, or nil when there are none: events after it
    /// are kept whatever their age.
    public static func slowestPosition(on db: any SQLDatabase) async throws -> Int64? {
        try await db.raw("SELECT MIN(position) AS position FROM event_consumers").first()?
            .decode(column: "position", as: Int64?.self)
    }

    /// Every consumer's position, for operators.
    public static func positions(on db: any SQLDatabase) async throws -> [String: Int64] {
        var result: [String: Int64] = [:]
        for row in try await db.raw("SELECT name, position FROM event_consumers").all() {
            result[try row.decode(column: "name", as: String.self)] = try row.decode(column: "position", as: Int64.self)
        }
        return result
    }

    /// Forgets a consumer that is gone for good, so cleanup no longer waits for it.
    public static func remove(_ name: String, on db: any SQLDatabase) async throws {
        try await db.raw("DELETE FROM event_consumers WHERE name = \(bind: name)").run()
    }
}

/// Runs one ``EventConsumer`` under its lease until shutdown.
struct EventConsumerService: Service {
    let consumer: EventConsumer
    let database: any Database
    let poll: Duration
    var leases: LeaseRenewals?
    let logger: Logger

    func run() async throws {
        try await LeaderService(key: "consumer:\(consumer.name)", db: database.sql, renewals: leases, logger: logger) {
            try await consume()
        }.run()
    }

    /// Reads and hands over batches until cancelled. A batch that fails is retried with backoff;
    /// one that keeps failing is retried an event at a time and the event that still fails is
    /// skipped and logged, so one bad event cannot stop the consumer for good.
    func consume() async throws {
        let db = database.sql
        var logger = logger
        logger[metadataKey: "consumer"] = .string(consumer.name)
        var failures = 0
        // The position as stored (ours alone while the lease is held: read once, then kept), and
        // how far this reader has read: events it does not take are passed over in memory and
        // the position is stored at most every few seconds for them (a consumer of one event type
        // used to write a transaction for every event of every other type).
        var stored: Int64?
        var read: Int64 = 0
        var storedAt = ContinuousClock.now
        var recentReads: [ContinuousClock.Instant] = []
        while !Task.isCancelled {
            let generation = WakeSignal.events.generation
            do {
                let position: Int64
                if let stored {
                    position = stored
                } else {
                    position = try await EventConsumerStore.position(of: consumer, on: db)
                    stored = position
                    read = position
                }
                recentReads.append(.now)
                if recentReads.count > Self.readsPerGathering { recentReads.removeFirst() }
                let batch = try await EventStore.after(read, limit: consumer.batchSize, on: db)
                let wanted = consumer.types.map { types in batch.contains { types.contains($0.type) } } ?? !batch.isEmpty
                guard wanted, let last = batch.last else {
                    if let last = batch.last { read = last.id }
                    if read != position, ContinuousClock.now - storedAt >= Self.skippedStoreInterval {
                        guard try await EventConsumerStore.advance(consumer.name, from: position, to: read, on: db) else { return }
                        stored = read
                        storedAt = .now
                    }
                    // A short batch was the end of the log when read: anything newer signals
                    // after `generation`, so there is no need to read again before waiting.
                    if batch.count < consumer.batchSize {
                        await Self.wait(
                            since: generation, timeout: read != position ? min(poll, Self.skippedStoreInterval) : poll, reads: recentReads)
                    }
                    continue
                }
                if failures >= 5 {
                    try await deliverSingly(batch, from: position, logger: logger)
                } else {
                    try await deliver(batch, from: position)
                }
                stored = last.id
                read = last.id
                storedAt = .now
                failures = 0
                if batch.count < consumer.batchSize { await Self.wait(since: generation, timeout: poll, reads: recentReads) }
            } catch is CancellationError {
                return
            } catch {
                failures += 1
                stored = nil
                logger.warning("event consumer failed", metadata: ["error": .string("\(error)"), "failures": .stringConvertible(failures)])
                try? await Task.sleep(for: .milliseconds(min(30_000, 100 << min(failures, 9))))
            }
        }
    }

    /// How often a position moved only past events the consumer does not take is stored.
    static let skippedStoreInterval: Duration = .seconds(5)

    /// Wake-ups read at once up to `readsPerGathering` times within `gathering`; more wait out
    /// the window. Every commit that writes an event wakes every consumer: at a few hundred
    /// listens a second each one read the log, and the ones that take listens wrote a
    /// transaction, for every commit. Under such a load events now gather into three reads per
    /// window, while the few commits of one request are still read at once (a webhook's
    /// latency stays what it was when idle). Full batches are read on without waiting.
    static let gathering: Duration = .milliseconds(100)
    static let readsPerGathering = 3

    /// Waits for new events (or `timeout`); woken when the last `readsPerGathering` reads
    /// (`reads`, oldest first) all fell within `gathering`, waits until the oldest is that old.
    private static func wait(since generation: UInt64, timeout: Duration, reads: [ContinuousClock.Instant]) async {
        await WakeSignal.events.wait(since: generation, timeout: timeout)
        guard WakeSignal.events.generation != generation, reads.count == readsPerGathering, let oldest = reads.first else { return }
        let since = ContinuousClock.now - oldest
        if since < gathering { try? await Task.sleep(for: gathering - since) }
    }

    private func deliver(_ batch: [EventRecord], from position: Int64) async throws {
        guard let last = batch.last else { return }
        let wanted = consumer.types.map { types in batch.filter { types.contains($0.type) } } ?? batch
        try await database.writeTransaction { [consumer] tx in
            if !wanted.isEmpty {
                // One span per batch: a child of the first traced event, linked to the others.
                let parents = wanted.compactMap(\.traceParent)
                try await withSpan(
                    "events \(consumer.name)", context: CadenzaTracing.context(parent: parents.first), ofKind: .consumer
                ) { span in
                    span.attributes["cadenza.events.count"] = wanted.count
                    for parent in parents.dropFirst() { span.addLink(SpanLink(context: CadenzaTracing.context(parent: parent), attributes: [:])) }
                    try await consumer.handle(wanted, tx)
                }
            }
            guard try await EventConsumerStore.advance(consumer.name, from: position, to: last.id, on: tx.sql) else {
                throw CancellationError()  // another reader moved it: we lost the lease; it carries on
            }
        }
    }

    private func deliverSingly(_ batch: [EventRecord], from position: Int64, logger: Logger) async throws {
        var position = position
        for event in batch {
            do {
                try await deliver([event], from: position)
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                logger.error(
                    "event skipped after repeated failures",
                    metadata: ["event-id": .stringConvertible(event.id), "error": .string("\(error)")])
                guard try await EventConsumerStore.advance(consumer.name, from: position, to: event.id, on: database.sql) else {
                    throw CancellationError()
                }
            }
            position = event.id
        }
    }
}

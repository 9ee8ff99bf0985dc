import Fluent
import NIOConcurrencyHelpers
import ServiceLifecycle
import SQLKit
import Vapor

/// Group commit for small submissions. Scrobblers send one listen per request; each in its own
/// transaction would pay for a whole transaction, rollup upserts and a commit per listen.
/// Requests that arrive while a write is in progress wait here and are written together in the
/// next transaction (at most ``maxListens`` listens per user in one go), each still answered
/// with its own outcome only after that transaction committed.
///
/// As a service it owns the flusher: at shutdown (after the HTTP server stopped taking requests)
/// it waits until every submission already accepted is written.
final class ListenIngestQueue: Service, Sendable {
    /// Submissions larger than this are written on their own.
    static let maxListens = ListenStore.announceEachUpTo

    /// Far longer than any healthy write (milliseconds; the largest batch is small): a write
    /// stuck on a connection that died with the database answers its clients 503 and lets the
    /// next batch go, instead of holding every later submission (and shutdown) forever. It is
    /// also how soon submits work again after the database is back (a write waiting for a pool
    /// connection through the outage is not woken when one could be had): 10 s held them for
    /// 5 s after /readyz said ready (`bench/fault_campaign.py`, PostgreSQL restart).
    static let writeDeadline = Duration.seconds(3)

    private struct Pending: Sendable {
        var owner: ListenOwner
        var listens: [IncomingListen]
        var source: String
        var continuation: CheckedContinuation<ListenStore.Outcome, any Error>
    }

    private struct State {
        var pending: [Pending] = []
        var flushing = false
        var flusher: Task<Void, Never>?
    }

    private let state = NIOLockedValueBox(State())

    /// On PostgreSQL, `writeDeadline` at most. SQLite writes wait for the file lock (its busy
    /// timeout) and are never stuck on a dead connection: they are not cut short. A write given up
    /// on may still commit; a client's retry is then a duplicate, which listens ignore.
    private static func bounded<T: Sendable>(_ app: Application, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        guard app.sql.isPostgres else { return try await body() }
        return try await withDeadline(writeDeadline, body)
    }

    /// Stores the listens, batched with whatever else is waiting; returns once committed.
    func submit(_ listens: [IncomingListen], owner: ListenOwner, source: String, app: Application) async throws -> ListenStore.Outcome {
        guard listens.count <= Self.maxListens else {
            let outcome = try await app.db.writeTransaction { tx in
                try await ListenStore.ingest(listens, owner: owner, source: source, on: tx.sql)
            }
            return outcome
        }
        return try await withCheckedThrowingContinuation { continuation in
            let startFlusher = state.withLockedValue { state -> Bool in
                state.pending.append(Pending(owner: owner, listens: listens, source: source, continuation: continuation))
                if state.flushing { return false }
                state.flushing = true
                return true
            }
            // Not tied to the request: a client that hangs up must not cancel other clients' writes.
            if startFlusher {
                // Not the first submitter's request either: each write names no one request.
                let task = Task { await TraceContext.$id.withValue(nil) { await self.flush(app: app) } }
                state.withLockedValue { $0.flusher = task }
            }
        }
    }

    func run() async throws {
        try? await gracefulShutdown()
        while let flusher = state.withLockedValue({ $0.flushing ? $0.flusher : nil }) {
            await flusher.value
        }
    }

    private func flush(app: Application) async {
        while true {
            let batch = state.withLockedValue { state -> [Pending] in
                if state.pending.isEmpty {
                    state.flushing = false
                    return []
                }
                defer { state.pending.removeAll() }
                return state.pending
            }
            guard !batch.isEmpty else { return }
            await write(batch, app: app)
        }
    }

    /// One transaction for the whole batch; if it fails, each submission is retried alone so a
    /// failure answers only the request that caused it.
    private func write(_ batch: [Pending], app: Application) async {
        let groups = Self.groups(batch)
        do {
            let outcomes = try await Self.bounded(app) {
                try await app.db.writeTransaction { tx in
                    var outcomes: [Int: ListenStore.Outcome] = [:]
                    for group in groups {
                        let merged = group.flatMap { batch[$0].listens }
                        let outcome = try await ListenStore.ingest(merged, owner: batch[group[0]].owner, source: batch[group[0]].source, on: tx.sql)
                        var offset = 0
                        for index in group {
                            let flags = Array(outcome.stored[offset..<offset + batch[index].listens.count])
                            offset += flags.count
                            let inserted = flags.filter { $0 }.count
                            outcomes[index] = ListenStore.Outcome(inserted: inserted, duplicates: flags.count - inserted, stored: flags)
                        }
                    }
                    return outcomes
                }
            }
            for (index, pending) in batch.enumerated() {
                pending.continuation.resume(returning: outcomes[index] ?? ListenStore.Outcome(inserted: 0, duplicates: 0, stored: []))
            }
        } catch {
            // The database is away: every submission waiting gets the same 503, none is retried alone.
            guard batch.count > 1, ServerTrouble(error) == nil else {
                for pending in batch { pending.continuation.resume(throwing: error) }
                return
            }
            for pending in batch {
                do {
                    let outcome = try await Self.bounded(app) {
                        try await app.db.writeTransaction { tx in
                            try await ListenStore.ingest(pending.listens, owner: pending.owner, source: pending.source, on: tx.sql)
                        }
                    }
                    pending.continuation.resume(returning: outcome)
                } catch {
                    pending.continuation.resume(throwing: error)
                }
            }
        }
    }

    /// Indices of the batch grouped by user, in arrival order, each group within the size limit.
    private static func groups(_ batch: [Pending]) -> [[Int]] {
        var groups: [[Int]] = []
        var open: [Int64: (group: Int, size: Int)] = [:]
        for (index, pending) in batch.enumerated() {
            if let current = open[pending.owner.userID], current.size + pending.listens.count <= maxListens,
                batch[groups[current.group][0]].source == pending.source
            {
                groups[current.group].append(index)
                open[pending.owner.userID] = (current.group, current.size + pending.listens.count)
            } else {
                groups.append([index])
                open[pending.owner.userID] = (groups.count - 1, pending.listens.count)
            }
        }
        return groups
    }
}

extension Application {
    var listenIngest: ListenIngestQueue {
        get throws { try cadenza.state(ListenIngestQueue.self) }
    }
}

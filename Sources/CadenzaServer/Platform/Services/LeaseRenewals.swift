import Logging
import NIOConcurrencyHelpers
import SQLKit

/// The leases one process leads, renewed together: when any is due, all of them in one
/// statement. Each ``LeaderService`` renewing its own cost an idle SQLite install a commit every
/// few seconds per lease (six event consumers, the scheduler, the room streams: 2.5 a second,
/// each a page or more into the WAL, all day, on a Raspberry Pi's SD card too).
///
/// A lease is renewed at a third of its duration at the latest, as before; one renewed early
/// with the others only moves its expiry further. The loop runs while anything is registered.
public final class LeaseRenewals: Sendable {
    /// One lease this process leads: until when it is valid (on this process's clock, counted
    /// from when the renewal was asked for) and whether another process holds it now.
    public final class Lease: Sendable {
        let key: String
        let owner: String
        let duration: Duration
        let validUntil: NIOLockedValueBox<ContinuousClock.Instant>
        let lost = NIOLockedValueBox(false)
        fileprivate let renewed = NIOLockedValueBox(ContinuousClock.now)

        init(key: String, owner: String, duration: Duration, validUntil: ContinuousClock.Instant) {
            self.key = key
            self.owner = owner
            self.duration = duration
            self.validUntil = NIOLockedValueBox(validUntil)
            renewed.withLockedValue { $0 = validUntil - duration }
        }

        var isLost: Bool { lost.withLockedValue { $0 } }
    }

    private struct State {
        var leases: [ObjectIdentifier: Lease] = [:]
        var loop: Task<Void, Never>?
        /// Renewals are failing (said once, until one succeeds).
        var failing = false
    }

    private let db: any SQLDatabase
    private let logger: Logger?
    private let state = NIOLockedValueBox(State())

    public init(db: any SQLDatabase, logger: Logger? = nil) {
        self.db = db
        self.logger = logger
    }

    /// Renews `key` with the others from now on, until `remove`.
    func add(key: String, owner: String, duration: Duration, validUntil: ContinuousClock.Instant) -> Lease {
        let lease = Lease(key: key, owner: owner, duration: duration, validUntil: validUntil)
        state.withLockedValue { state in
            state.leases[ObjectIdentifier(lease)] = lease
            if state.loop == nil { state.loop = Task { await self.run() } }
        }
        return lease
    }

    func remove(_ lease: Lease) {
        let loop = state.withLockedValue { state -> Task<Void, Never>? in
            state.leases[ObjectIdentifier(lease)] = nil
            guard state.leases.isEmpty else { return nil }
            defer { state.loop = nil }
            return state.loop
        }
        loop?.cancel()
    }

    private func run() async {
        while !Task.isCancelled {
            let leases = state.withLockedValue { Array($0.leases.values) }
            let now = ContinuousClock.now
            if leases.contains(where: { lease in now - lease.renewed.withLockedValue { $0 } >= lease.duration / 3 }) {
                await renew(leases, asked: now)
            }
            // Late by a fifteenth of the shortest lease at most (a second for the usual 15 s).
            let shortest = leases.map(\.duration).min() ?? .seconds(15)
            try? await Task.sleep(for: min(shortest / 15, .seconds(1)))
        }
    }

    /// One statement for every lease; those it did not renew are another's now. An error (the
    /// database away) is tried again a third of a lease later, as a renewal that worked: each
    /// leader's watchdog steps down when its lease runs out.
    private func renew(_ leases: [Lease], asked: ContinuousClock.Instant) async {
        let renewed: Set<String>
        do {
            renewed = try await Self.renew(leases.map { ($0.key, $0.owner, $0.duration) }, on: db)
            if state.withLockedValue({ state in
                defer { state.failing = false }; return state.failing
            }) {
                logger?.info("leases renewed again")
            }
        } catch {
            for lease in leases { lease.renewed.withLockedValue { $0 = asked } }
            if !state.withLockedValue({ state in
                defer { state.failing = true }; return state.failing
            }) {
                logger?.warning("could not renew this process's leases: \(String(describing: error))")
            }
            return
        }
        for lease in leases {
            lease.renewed.withLockedValue { $0 = asked }
            if renewed.contains(lease.key) {
                lease.validUntil.withLockedValue { $0 = asked + lease.duration }
            } else {
                lease.lost.withLockedValue { $0 = true }
            }
        }
    }

    /// Renews each (key, owner) still held by that owner for its own duration; the keys renewed.
    static func renew(_ leases: [(key: String, owner: String, duration: Duration)], on db: any SQLDatabase) async throws -> Set<String> {
        guard !leases.isEmpty else { return [] }
        let now = Clock.nowMillis()
        var until: SQLQueryString = "CASE key"
        var held: [SQLQueryString] = []
        for lease in leases {
            until = until + " WHEN \(bind: lease.key) THEN \(bind: now + lease.duration.milliseconds)"
            held.append("(key = \(bind: lease.key) AND owner = \(bind: lease.owner))")
        }
        let rows = try await db.raw(
            "UPDATE leases SET expires_at = \(until) END WHERE \(held.joined(separator: " OR ")) RETURNING key"
        ).all()
        return Set(try rows.map { try $0.decode(column: "key", as: String.self) })
    }
}

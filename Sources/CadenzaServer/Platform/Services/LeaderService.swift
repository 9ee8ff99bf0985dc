import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle
import SQLKit

/// Runs `body` in exactly one process of the cluster at a time for `key` (the scheduler; one
/// event consumer group; one playout per station): the others wait, and take over within a
/// second of the lease running out when the holder dies. The body is cancelled if the lease is lost (the database was
/// unreachable for longer than a lease), and the lease is given up at shutdown.
public struct LeaderService: Service {
    public let key: String
    let db: any SQLDatabase
    let lease: Duration
    /// The process's renewer, which renews this lease with the others it leads (nil: on its own).
    let renewals: LeaseRenewals?
    let logger: Logger
    let body: @Sendable () async throws -> Void

    public init(
        key: String, db: any SQLDatabase, lease: Duration = .seconds(15), renewals: LeaseRenewals? = nil, logger: Logger,
        body: @escaping @Sendable () async throws -> Void
    ) {
        self.key = key
        self.db = db
        self.lease = lease
        self.renewals = renewals
        self.logger = logger
        self.body = body
    }

    public func run() async throws {
        let owner = Leases.processOwner()
        let renew = lease / 3
        // A waiting process asks at least once a second: it takes over within a second of the
        // dead holder's lease running out, not a whole renewal period later.
        let retry = min(renew, .seconds(1))
        await cancelWhenGracefulShutdown {
            var first = true
            while !Task.isCancelled {
                let asked = ContinuousClock.now
                let held = (try? await Leases.acquire(key, owner: owner, duration: lease, on: db)) ?? false
                if held {
                    // Leading from the start is the usual case; taking over is what an operator looks for.
                    logger.log(level: first ? .debug : .info, "leading", metadata: ["lease": .string(key)])
                    await lead(owner: owner, renewEvery: renew, validUntil: asked + lease)
                    if Task.isCancelled { break }
                    logger.warning("lease lost", metadata: ["lease": .string(key)])
                }
                first = false
                try? await Task.sleep(for: retry)
            }
        }
        try? await Leases.release(key, owner: owner, on: db)
    }

    /// Runs the body while renewing; returns when either ends (the body, or a renewal refused).
    /// A lease counts from when it was asked for, on this process's clock: when a renewal has not
    /// come back by a fifth of a lease before that end (a stalled process, a slow database), the
    /// body is stopped before anyone else may take the lease over.
    private func lead(owner: String, renewEvery interval: Duration, validUntil start: ContinuousClock.Instant) async {
        let shared = renewals?.add(key: key, owner: owner, duration: lease, validUntil: start)
        defer { if let shared { renewals?.remove(shared) } }
        let validUntil = shared?.validUntil ?? NIOLockedValueBox(start)
        let margin = lease / 5
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                do { try await body() } catch is CancellationError {} catch {
                    logger.error("leader task failed", metadata: ["lease": .string(key), "error": .string("\(error)")])
                }
            }
            if let shared {
                // Renewed with the process's other leases: this only notices another holding it.
                group.addTask {
                    while !Task.isCancelled, !shared.isLost {
                        try? await Task.sleep(for: min(interval / 2, .seconds(1)))
                    }
                }
            } else {
                group.addTask {
                    await renewAlone(owner: owner, every: interval, validUntil: validUntil)
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    let deadline = validUntil.withLockedValue { $0 } - margin
                    let now = ContinuousClock.now
                    if now >= deadline {
                        logger.warning("lease not renewed in time: stepping down", metadata: ["lease": .string(key)])
                        return
                    }
                    try? await Task.sleep(for: min(deadline - now, interval / 2))
                }
            }
            await group.next()
            group.cancelAll()
        }
    }

    /// Renews the lease every `interval` until another holds it.
    private func renewAlone(owner: String, every interval: Duration, validUntil: NIOLockedValueBox<ContinuousClock.Instant>) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            if Task.isCancelled { return }
            let asked = ContinuousClock.now
            // A refusal means another holds it; an error leaves the watchdog to decide.
            if let renewed = try? await Leases.acquire(key, owner: owner, duration: lease, on: db) {
                guard renewed else { return }
                validUntil.withLockedValue { $0 = asked + lease }
            }
        }
    }
}

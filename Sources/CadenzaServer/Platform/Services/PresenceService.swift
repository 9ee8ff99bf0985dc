import ServiceLifecycle
import SQLKit

/// Says in the database that this process runs: a lease of its own (`process.` and its name),
/// renewed every 5 s (with the leases the process leads) and lasting 15 s, given up at shutdown.
/// `cadenza restore` refuses while any lease is held: so it sees every running process, not only
/// those that lead something (today every lone process leads one lease or another; that is the
/// roles' doing, not a promise). Rows of processes killed long ago are cleared now and then.
struct PresenceService: Service {
    let db: any SQLDatabase
    /// Renews the presence with the leases the process leads (nil: on its own).
    var leases: LeaseRenewals?
    static let prefix = "process."
    static let lease: Duration = .seconds(15)
    static let renewal: Duration = .seconds(5)

    func run() async throws {
        let key = Self.prefix + Leases.processOwner()
        let shared = await cancelWhenGracefulShutdown { () -> LeaseRenewals.Lease? in
            var shared: LeaseRenewals.Lease?
            var round = 0
            while !Task.isCancelled {
                if shared?.isLost ?? true {
                    // (Fails while the database is away: a playout airs on, and is seen again after.)
                    let asked = ContinuousClock.now
                    if (try? await Leases.acquire(key, owner: key, duration: Self.lease, on: db)) == true, let leases {
                        if let lost = shared { leases.remove(lost) }
                        shared = leases.add(key: key, owner: key, duration: Self.lease, validUntil: asked + Self.lease)
                    }
                }
                if round % 120 == 0 { try? await Self.clearGone(on: db) }
                round += 1
                try? await Task.sleep(for: Self.renewal)
            }
            return shared
        }
        if let shared { leases?.remove(shared) }
        try? await Leases.release(key, owner: key, on: db)
    }

    /// Removes the presence of processes gone for an hour (killed: nothing gave theirs up).
    static func clearGone(on db: any SQLDatabase) async throws {
        let before = Clock.nowMillis() - 3_600_000
        try await db.raw("DELETE FROM leases WHERE key LIKE \(bind: prefix + "%") AND expires_at < \(bind: before)").run()
    }
}

import ServiceLifecycle
import SQLKit

/// Says in the database that this process runs: a lease of its own (`process.` and its name),
/// renewed every 5 s and lasting 15 s, given up at shutdown. `cadenza restore` refuses while any
/// lease is held: so it sees every running process, not only those that lead something (today
/// every lone process leads one lease or another; that is the roles' doing, not a promise).
/// Rows of processes killed long ago are cleared now and then.
struct PresenceService: Service {
    let db: any SQLDatabase
    static let prefix = "process."
    static let lease: Duration = .seconds(15)
    static let renewal: Duration = .seconds(5)

    func run() async throws {
        let key = Self.prefix + Leases.processOwner()
        await cancelWhenGracefulShutdown {
            var round = 0
            while !Task.isCancelled {
                // (Fails while the database is away: a playout airs on, and is seen again after.)
                _ = try? await Leases.acquire(key, owner: key, duration: Self.lease, on: db)
                if round % 120 == 0 { try? await Self.clearGone(on: db) }
                round += 1
                try? await Task.sleep(for: Self.renewal)
            }
        }
        try? await Leases.release(key, owner: key, on: db)
    }

    /// Removes the presence of processes gone for an hour (killed: nothing gave theirs up).
    static func clearGone(on db: any SQLDatabase) async throws {
        let before = Clock.nowMillis() - 3_600_000
        try await db.raw("DELETE FROM leases WHERE key LIKE \(bind: prefix + "%") AND expires_at < \(bind: before)").run()
    }
}

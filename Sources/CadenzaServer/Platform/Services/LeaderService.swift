import Logging
import ServiceLifecycle
import SQLKit

/// Runs `body` in exactly one process of the cluster at a time for `key` (the scheduler; one
/// event consumer group; one playout per station): the others wait, and take over within one
/// lease when the holder dies. The body is cancelled if the lease is lost (the database was
/// unreachable for longer than a lease), and the lease is given up at shutdown.
public struct LeaderService: Service {
    public let key: String
    let db: any SQLDatabase
    let lease: Duration
    let logger: Logger
    let body: @Sendable () async throws -> Void

    public init(
        key: String, db: any SQLDatabase, lease: Duration = .seconds(15), logger: Logger,
        body: @escaping @Sendable () async throws -> Void
    ) {
        self.key = key
        self.db = db
        self.lease = lease
        self.logger = logger
        self.body = body
    }

    public func run() async throws {
        let owner = Leases.processOwner()
        let retry = lease / 3
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let held = (try? await Leases.acquire(key, owner: owner, duration: lease, on: db)) ?? false
                if held {
                    logger.info("leading", metadata: ["lease": .string(key)])
                    await lead(owner: owner, renewEvery: retry)
                    if Task.isCancelled { break }
                    logger.warning("lease lost", metadata: ["lease": .string(key)])
                }
                try? await Task.sleep(for: retry)
            }
        }
        try? await Leases.release(key, owner: owner, on: db)
    }

    /// Runs the body while renewing; returns when either ends (the body, or a renewal refused).
    private func lead(owner: String, renewEvery interval: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                do { try await body() } catch is CancellationError {} catch {
                    logger.error("leader task failed", metadata: ["lease": .string(key), "error": .string("\(error)")])
                }
            }
            group.addTask {
                var misses = 0
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    if Task.isCancelled { return }
                    do {
                        if try await Leases.acquire(key, owner: owner, duration: lease, on: db) { misses = 0 } else { return }
                    } catch {
                        // Two misses in a row leave a third of the lease: stop before another takes over.
                        misses += 1
                        if misses >= 2 { return }
                    }
                }
            }
            await group.next()
            group.cancelAll()
        }
    }
}

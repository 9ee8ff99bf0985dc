import SQLKit

/// Serialises this process's SQLite writers in memory. SQLite allows one writer at a time; left
/// to its busy handler, a second connection sleeps in growing steps (1, 2, 5 … 100 ms) and polls,
/// which under concurrent submits costs far more than the writes themselves. Waiting here instead
/// hands the lock over the moment it is free. Other processes (the CLI, a second worker) still
/// meet the busy timeout, which remains the safety net. Re-entrant within one task.
actor WriteGate {
    static let shared = WriteGate()

    @TaskLocal static var holding = false

    private var locked = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    private func acquire() async {
        if !locked { locked = true; return }
        await withCheckedContinuation { waiters.append($0) }
    }

    private func release() {
        if waiters.isEmpty { locked = false } else { waiters.removeFirst().resume() }
    }

    /// Runs `body` as the only SQLite writer of this process (PostgreSQL runs it directly).
    static func run<T: Sendable>(on db: any SQLDatabase, _ body: @Sendable () async throws -> T) async throws -> T {
        guard !db.isPostgres, !holding else { return try await body() }
        await shared.acquire()
        do {
            let result = try await $holding.withValue(true) { try await body() }
            await shared.release()
            return result
        } catch {
            await shared.release()
            throw error
        }
    }
}

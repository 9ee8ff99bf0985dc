import FluentKit
import NIOConcurrencyHelpers
import SQLKit

/// Wakes sleepers early: idle workers when a job is queued, the event tail when an event is
/// written. A generation counter closes the gap between "found nothing" and "started waiting".
public final class WakeSignal: Sendable {
    /// Process-wide, like the commit they announce: every application in the process shares the
    /// database's wake-ups. A wake-up with nothing new costs the sleeper one empty read, so
    /// sharing is harmless, and writers need no handle to the application to give one.
    public static let jobs = WakeSignal()
    public static let events = WakeSignal()

    /// The wake-ups a write transaction owes once it commits (set by `writeTransaction`).
    @TaskLocal static var pending: Pending?

    /// What a transaction wrote that sleepers wait for. Only that is signalled at its commit:
    /// signalling both after every commit woke every idle job loop after each event consumer
    /// moved its position (7.6 empty job claims per listen submitted, measured on PostgreSQL).
    final class Pending: Sendable {
        private let wanted = NIOLockedValueBox<[ObjectIdentifier: WakeSignal]>([:])

        func add(_ signal: WakeSignal) { wanted.withLockedValue { $0[ObjectIdentifier(signal)] = signal } }

        func contains(_ signal: WakeSignal) -> Bool { wanted.withLockedValue { $0[ObjectIdentifier(signal)] != nil } }

        /// After the commit.
        func signal() { wanted.withLockedValue { $0 }.values.forEach { $0.signal() } }
    }

    /// For a writer that may or may not run inside a transaction: outside one its statement is
    /// the commit, so it signals now; inside one, `writeTransaction` signals once it commits. A
    /// wake-up before the commit would only send sleepers after rows they cannot see yet (for a
    /// batch of inserts, once per row: measured as 3 claims per queued job).
    func signal(after db: any SQLDatabase) {
        if (db as? any Database)?.inTransaction != true {
            signal()
        } else {
            Self.pending?.add(self)
        }
    }

    private struct State {
        public init() {}

        public var generation: UInt64 = 0
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter: UInt64 = 0
    }
    private let state = NIOLockedValueBox(State())

    public init() {}

    public var generation: UInt64 { state.withLockedValue { $0.generation } }

    public func signal() {
        let waiters = state.withLockedValue { state -> [CheckedContinuation<Void, Never>] in
            state.generation &+= 1
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        waiters.forEach { $0.resume() }
    }

    /// Returns on a signal newer than `generation`, after `timeout`, or on cancellation.
    public func wait(since generation: UInt64, timeout: Duration) async {
        let id = state.withLockedValue { state -> UInt64 in
            state.nextWaiter &+= 1
            return state.nextWaiter
        }
        let timer = Task {
            try? await Task.sleep(for: timeout)
            self.resume(id)
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLockedValue { state -> Bool in
                    if state.generation != generation || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            self.resume(id)
        }
        timer.cancel()
    }

    private func resume(_ id: UInt64) {
        state.withLockedValue { $0.waiters.removeValue(forKey: id) }?.resume()
    }
}

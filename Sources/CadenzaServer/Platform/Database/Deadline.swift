import NIOConcurrencyHelpers

/// Work that did not finish in time (a database call stuck on a connection that died).
struct DeadlineExceeded: Error, CustomStringConvertible {
    var description: String { "no answer from the database in time" }
}

/// Runs `body` and answers with its result, or with `DeadlineExceeded` after `duration` even if
/// `body` never returns (it is cancelled, and left to end on its own): what waits on it moves on.
/// A task group would not do: it waits for its children however they end.
func withDeadline<T: Sendable>(_ duration: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
        let state = NIOLockedValueBox<(done: Bool, timer: Task<Void, Never>?)>((false, nil))
        let finish: @Sendable (Result<T, any Error>) -> Void = { result in
            let timer = state.withLockedValue { state -> Task<Void, Never>?? in
                guard !state.done else { return .none }
                state.done = true
                return .some(state.timer)
            }
            guard case .some(let pending) = timer else { return }
            pending?.cancel()
            continuation.resume(with: result)
        }
        let work = Task {
            do { finish(.success(try await body())) } catch { finish(.failure(error)) }
        }
        let timer = Task {
            try? await Task.sleep(for: duration)
            guard !Task.isCancelled else { return }
            work.cancel()
            finish(.failure(DeadlineExceeded()))
        }
        state.withLockedValue { state in
            if state.done { timer.cancel() } else { state.timer = timer }
        }
    }
}

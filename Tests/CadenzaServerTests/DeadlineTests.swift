@testable import CadenzaServer
import Foundation
import NIOConcurrencyHelpers
import Testing

@Suite struct DeadlineTests {
    /// A wait that only ends when the test says so.
    final class Gate: Sendable {
        private let state = NIOLockedValueBox<(open: Bool, waiter: CheckedContinuation<Void, Never>?)>((false, nil))

        func wait() async {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLockedValue { state -> Bool in
                    if state.open { return true }
                    state.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }

        func open() {
            state.withLockedValue { state -> CheckedContinuation<Void, Never>? in
                state.open = true
                defer { state.waiter = nil }
                return state.waiter
            }?.resume()
        }
    }

    /// A call that never answers (it ignores cancellation, as a query on a dead connection may)
    /// still lets its caller go, with an error the protocols answer as 503: the call here is
    /// released only after the caller has its answer.
    @Test(.timeLimit(.minutes(1))) func aStuckCallIsLeftBehindAtTheDeadline() async throws {
        let gate = Gate()
        await #expect(throws: DeadlineExceeded.self) {
            try await withDeadline(.milliseconds(100)) { await gate.wait() }
        }
        gate.open()
        #expect(ServerTrouble(DeadlineExceeded()) != nil)
    }

    @Test func anAnswerInTimeAndAnErrorInTimeComeThrough() async throws {
        #expect(try await withDeadline(.seconds(5)) { 42 } == 42)
        struct Boom: Error {}
        await #expect(throws: Boom.self) { try await withDeadline(.seconds(5)) { throw Boom() } }
    }
}

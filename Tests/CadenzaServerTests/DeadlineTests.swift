@testable import CadenzaServer
import Foundation
import Testing

@Suite struct DeadlineTests {
    /// A call that never answers (it ignores cancellation, as a query on a dead connection may)
    /// still lets its caller go at the deadline, with an error the protocols answer as 503.
    @Test func aStuckCallIsLeftBehindAtTheDeadline() async throws {
        let started = ContinuousClock.now
        await #expect(throws: DeadlineExceeded.self) {
            try await withDeadline(.milliseconds(100)) {
                await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                    DispatchQueue.global().asyncAfter(deadline: .now() + 3) { done.resume() }
                }
            }
        }
        #expect(ContinuousClock.now - started < .seconds(2))
        #expect(ServerTrouble(DeadlineExceeded()) != nil)
    }

    @Test func anAnswerInTimeAndAnErrorInTimeComeThrough() async throws {
        #expect(try await withDeadline(.seconds(5)) { 42 } == 42)
        struct Boom: Error {}
        await #expect(throws: Boom.self) { try await withDeadline(.seconds(5)) { throw Boom() } }
    }
}

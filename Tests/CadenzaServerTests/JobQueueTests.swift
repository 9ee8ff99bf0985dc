@testable import CadenzaServer
import Fluent
import Foundation
import NIOConcurrencyHelpers
import SQLKit
import Testing
import Vapor

@Suite struct JobQueueTests {
    struct Empty: Codable {}

    @Test func aFlakyJobIsRetriedWithBackoffUntilItSucceeds() async throws {
        try await withApp(roles: [.worker]) { app in
            let calls = NIOLockedValueBox(0)
            try app.cadenza.jobs.register("test.flaky", backoff: Backoff(base: 0.02, cap: 0.1)) { _ in
                let n = calls.withLockedValue {
                    $0 += 1; return $0
                }
                if n < 3 { throw TestError("transient failure \(n)") }
            }
            let id = try #require(try await JobQueue.enqueue(.init(kind: "test.flaky", payload: Empty()), on: app.sql))
            #expect(try await eventually { try await JobQueue.find(id: id, on: app.sql)?.state == .succeeded })
            let job = try #require(try await JobQueue.find(id: id, on: app.sql))
            #expect(job.attempts == 3)
            #expect(job.lastError == nil)
            #expect(calls.withLockedValue { $0 } == 3)
        }
    }

    @Test func exhaustedRetriesParkTheJobAsFailedWithItsErrorAndRetryRequeuesIt() async throws {
        try await withApp(roles: [.worker]) { app in
            let succeed = NIOLockedValueBox(false)
            try app.cadenza.jobs.register("test.broken", backoff: Backoff(base: 0.01, cap: 0.02)) { _ in
                if !succeed.withLockedValue({ $0 }) { throw TestError("disk on fire") }
            }
            let id = try #require(try await JobQueue.enqueue(.init(kind: "test.broken", payload: Empty(), maxAttempts: 3), on: app.sql))
            #expect(try await eventually { try await JobQueue.find(id: id, on: app.sql)?.state == .failed })
            var job = try #require(try await JobQueue.find(id: id, on: app.sql))
            #expect(job.attempts == 3)
            #expect(job.lastError?.contains("disk on fire") == true)

            succeed.withLockedValue { $0 = true }
            try await JobQueue.retry(id: id, on: app.sql)
            #expect(try await eventually { try await JobQueue.find(id: id, on: app.sql)?.state == .succeeded })
            job = try #require(try await JobQueue.find(id: id, on: app.sql))
            #expect(job.attempts == 1)
        }
    }

    @Test func permanentErrorsFailAtOnce() async throws {
        try await withApp(roles: [.worker]) { app in
            try app.cadenza.jobs.register("test.permanent") { _ in throw PermanentJobError("payload names no file") }
            let id = try #require(try await JobQueue.enqueue(.init(kind: "test.permanent", payload: Empty(), maxAttempts: 5), on: app.sql))
            #expect(try await eventually { try await JobQueue.find(id: id, on: app.sql)?.state == .failed })
            #expect(try await JobQueue.find(id: id, on: app.sql)?.attempts == 1)
        }
    }

    @Test func aUniqueKeyAllowsOneLiveJobAtATime() async throws {
        try await withApp { app in
            let job = try JobQueue.NewJob(kind: "test.scan", payload: ["folder": "/music"], uniqueKey: "scan:/music")
            let first = try await JobQueue.enqueue(job, on: app.sql)
            #expect(first != nil)
            #expect(try await JobQueue.enqueue(job, on: app.sql) == nil)
            // Once finished, the same work may be queued again.
            let claimed = try #require(try await JobQueue.claim(owner: "w1", lease: 30, kinds: ["test.scan"], on: app.sql))
            #expect(try await JobQueue.enqueue(job, on: app.sql) == nil)
            #expect(try await JobQueue.complete(id: claimed.id, owner: "w1", on: app.sql))
            let again = try await JobQueue.enqueue(job, on: app.sql)
            #expect(again != nil && again != first)
        }
    }

    @Test func anExpiredLeaseIsTakenOverAndTheOldOwnerCannotComplete() async throws {
        try await withApp { app in
            let id = try #require(try await JobQueue.enqueue(.init(kind: "test.slow", payload: Empty()), on: app.sql))
            let first = try #require(try await JobQueue.claim(owner: "crashed", lease: 1.5, kinds: ["test.slow"], on: app.sql))
            #expect(first.id == id)
            // While the lease holds, nobody else gets the job.
            #expect(try await JobQueue.claim(owner: "other", lease: 30, kinds: ["test.slow"], on: app.sql) == nil)
            try await Task.sleep(for: .milliseconds(1600))
            let second = try #require(try await JobQueue.claim(owner: "other", lease: 30, kinds: ["test.slow"], on: app.sql))
            #expect(second.id == id)
            #expect(second.attempts == 2)
            #expect(try await JobQueue.complete(id: id, owner: "crashed", on: app.sql) == false)
            #expect(try await JobQueue.heartbeat(id: id, owner: "crashed", lease: 30, on: app.sql) == false)
            #expect(try await JobQueue.complete(id: id, owner: "other", on: app.sql))
        }
    }

    @Test func claimsFollowPriorityThenDueTime() async throws {
        try await withApp { app in
            let later = try await JobQueue.enqueue(.init(kind: "test.p", payload: Empty(), runAt: Date().addingTimeInterval(60)), on: app.sql)
            let low = try await JobQueue.enqueue(.init(kind: "test.p", payload: Empty(), priority: 0), on: app.sql)
            let high = try await JobQueue.enqueue(.init(kind: "test.p", payload: Empty(), priority: 10), on: app.sql)
            #expect(try await JobQueue.claim(owner: "w", lease: 30, kinds: ["test.p"], on: app.sql)?.id == high)
            #expect(try await JobQueue.claim(owner: "w", lease: 30, kinds: ["test.p"], on: app.sql)?.id == low)
            #expect(try await JobQueue.claim(owner: "w", lease: 30, kinds: ["test.p"], on: app.sql) == nil)
            #expect(later != nil)
        }
    }

    @Test func gracefulShutdownReleasesARunningJobWithoutSpendingAnAttempt() async throws {
        try await withApp(settings: ["CADENZA_JOB_SHUTDOWN_GRACE_SECONDS": "0.1"]) { app in
            let started = NIOLockedValueBox(false)
            try app.cadenza.jobs.register("test.long") { _ in
                started.withLockedValue { $0 = true }
                try await Task.sleep(for: .seconds(60))
            }
            try await CadenzaApp.startServices(app, roles: [.worker])
            let id = try #require(try await JobQueue.enqueue(.init(kind: "test.long", payload: Empty()), on: app.sql))
            #expect(try await eventually { started.withLockedValue { $0 } })
            await CadenzaApp.stopServices(app)
            let job = try #require(try await JobQueue.find(id: id, on: app.sql))
            #expect(job.state == .queued)
            #expect(job.attempts == 0)
            #expect(job.leaseOwner == nil)
        }
    }

    @Test func cancelStopsAQueuedJobAndRetryRefusesLiveOnes() async throws {
        try await withApp { app in
            let id = try #require(try await JobQueue.enqueue(.init(kind: "test.c", payload: Empty()), on: app.sql))
            await #expect(throws: JobQueue.ChangeError.wrongState(.queued)) { try await JobQueue.retry(id: id, on: app.sql) }
            try await JobQueue.cancel(id: id, on: app.sql)
            #expect(try await JobQueue.find(id: id, on: app.sql)?.state == .cancelled)
            #expect(try await JobQueue.claim(owner: "w", lease: 30, kinds: ["test.c"], on: app.sql) == nil)
            await #expect(throws: JobQueue.ChangeError.notFound) { try await JobQueue.cancel(id: 999_999, on: app.sql) }
        }
    }

    @Test func theSchedulerQueuesEachPeriodicTaskOncePerInterval() async throws {
        try await withApp { app in
            let scheduler = Scheduler(db: app.db, tasks: [.init(name: "tidy", interval: 3600, kind: "test.tidy")], logger: app.logger)
            #expect(try await scheduler.tick() == ["tidy"])
            #expect(try await scheduler.tick() == [])
            let queued = try await JobQueue.list(state: .queued, kind: "test.tidy", beforeID: nil, limit: 10, on: app.sql)
            #expect(queued.count == 1)
            #expect(queued.first?.uniqueKey == "periodic:tidy")
        }
    }
}

@Suite struct CommitWakeTests {
    /// With the safety-net polls at a minute, only the commit's wake-up can get the work done
    /// within the test's few seconds.
    @Test func aCommitWakesTheWorkerAndTheEventReaders() async throws {
        let slow = ["CADENZA_JOB_POLL_SECONDS": "60", "CADENZA_EVENT_POLL_SECONDS": "60"]
        try await withApp(roles: [.worker], settings: slow) { app in
            let ran = NIOLockedValueBox(0)
            try app.cadenza.jobs.register("test.woken") { _ in ran.withLockedValue { $0 += 1 } }
            try await Task.sleep(for: .milliseconds(200))  // the worker is asleep on its minute-long poll
            try await app.db.writeTransaction { tx in
                for _ in 0..<50 { _ = try await JobQueue.enqueue(.init(kind: "test.woken", payload: JobQueueTests.Empty()), on: tx.sql) }
            }
            #expect(try await eventually(timeout: .seconds(5)) { ran.withLockedValue { $0 } == 50 })
            // Outside a transaction the statement is the commit, and it wakes the worker itself.
            _ = try await JobQueue.enqueue(.init(kind: "test.woken", payload: JobQueueTests.Empty()), on: app.sql)
            #expect(try await eventually(timeout: .seconds(5)) { ran.withLockedValue { $0 } == 51 })
        }
    }
}

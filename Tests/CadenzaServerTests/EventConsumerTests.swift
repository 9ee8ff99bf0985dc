@testable import CadenzaServer
import Fluent
import Foundation
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle
import SQLKit
import Testing
import Vapor

/// Durable event consumers and leases, as notifications and federation will use them.
@Suite struct EventConsumerTests {
    static let ping = EventType<[String: Int]>("test.ping", visibility: .admin)

    static func append(_ n: Int, on app: Application) async throws {
        try await app.db.writeTransaction { tx in
            for i in 0..<n { try await EventStore.append(Self.ping, payload: ["n": i], actorID: nil, on: tx.sql) }
        }
    }

    /// Runs `services` as a group until `body` returns, then shuts them down gracefully.
    static func running(_ services: [any Service], logger: Logger, _ body: () async throws -> Void) async throws {
        let group = ServiceGroup(configuration: .init(services: services, logger: logger))
        let task = Task { try await group.run() }
        do { try await body() } catch {
            await group.triggerGracefulShutdown()
            _ = await task.result
            throw error
        }
        await group.triggerGracefulShutdown()
        try await task.value
    }

    @Test func aConsumerSeesEachEventOnceInOrderAndResumesFromItsStoredPosition() async throws {
        try await withApp { app in
            let seen = NIOLockedValueBox<[Int64]>([])
            let consumer = EventConsumer(name: "test.order", start: .beginning, batchSize: 7) { events, _ in
                seen.withLockedValue { $0 += events.map(\.id) }
            }
            let service = EventConsumerService(consumer: consumer, database: app.db, poll: .milliseconds(50), logger: app.logger)
            try await Self.append(20, on: app)
            try await Self.running([service], logger: app.logger) {
                let all = try await eventually { seen.withLockedValue { $0.count } == 20 }
                #expect(all)
            }
            // Written while no consumer runs: delivered after the restart, and nothing before it again.
            try await Self.append(5, on: app)
            try await Self.running([service], logger: app.logger) {
                let resumed = try await eventually { seen.withLockedValue { $0.count } == 25 }
                #expect(resumed)
            }
            let ids = seen.withLockedValue { $0 }
            #expect(ids == ids.sorted())
            #expect(Set(ids).count == ids.count)
            #expect(try await EventConsumerStore.positions(on: app.sql)["test.order"] == ids.last)
        }
    }

    @Test func aConsumerThatStartsAtTheLatestEventSkipsHistory() async throws {
        try await withApp { app in
            try await Self.append(3, on: app)
            let seen = NIOLockedValueBox(0)
            let consumer = EventConsumer(name: "test.latest", start: .latest) { events, _ in
                seen.withLockedValue { $0 += events.count }
            }
            _ = try await EventConsumerStore.position(of: consumer, on: app.sql)
            try await Self.append(2, on: app)
            let service = EventConsumerService(consumer: consumer, database: app.db, poll: .milliseconds(50), logger: app.logger)
            try await Self.running([service], logger: app.logger) {
                let two = try await eventually { seen.withLockedValue { $0 } == 2 }
                #expect(two)
                try await Task.sleep(for: .milliseconds(150))
            }
            #expect(seen.withLockedValue { $0 } == 2)
        }
    }

    @Test func twoNodesRunningTheSameConsumerDeliverEachEventOnce() async throws {
        try await withApp { app in
            let seen = NIOLockedValueBox<[Int64]>([])
            let consumer = EventConsumer(name: "test.group", start: .beginning, batchSize: 5) { events, _ in
                seen.withLockedValue { $0 += events.map(\.id) }
            }
            let nodes = (0..<2).map { _ in
                EventConsumerService(consumer: consumer, database: app.db, poll: .milliseconds(20), logger: app.logger)
            }
            try await Self.running(nodes, logger: app.logger) {
                for _ in 0..<10 { try await Self.append(6, on: app) }
                let sixty = try await eventually { seen.withLockedValue { $0.count } >= 60 }
                #expect(sixty)
                try await Task.sleep(for: .milliseconds(200))
            }
            let ids = seen.withLockedValue { $0 }
            #expect(ids.count == 60)
            #expect(Set(ids).count == 60)
        }
    }

    @Test func aHandlerFailureIsRetriedAndItsWritesRollBackWithThePosition() async throws {
        try await withApp { app in
            try await app.sql.raw("CREATE TABLE consumed (event_id BIGINT NOT NULL)").run()
            let attempts = NIOLockedValueBox(0)
            let consumer = EventConsumer(name: "test.retry", start: .beginning) { events, tx in
                for event in events { try await tx.sql.raw("INSERT INTO consumed (event_id) VALUES (\(bind: event.id))").run() }
                let attempt = attempts.withLockedValue {
                    $0 += 1; return $0
                }
                if attempt == 1 { throw TestError("first delivery fails after writing") }
            }
            try await Self.append(3, on: app)
            let service = EventConsumerService(consumer: consumer, database: app.db, poll: .milliseconds(20), logger: app.logger)
            try await Self.running([service], logger: app.logger) {
                let three = try await eventually {
                    try await app.sql.raw("SELECT COUNT(*) AS n FROM consumed").first()?.decode(column: "n", as: Int.self) == 3
                }
                #expect(three)
            }
            #expect(attempts.withLockedValue { $0 } == 2)
        }
    }

    @Test func eventCleanupKeepsWhatAConsumerHasNotRead() async throws {
        try await withApp { app in
            try await Self.append(4, on: app)
            let ids = try await EventStore.after(0, limit: 10, on: app.sql).map(\.id)
            let consumer = EventConsumer(name: "test.slow", start: .beginning) { _, _ in }
            _ = try await EventConsumerStore.position(of: consumer, on: app.sql)
            #expect(try await EventConsumerStore.advance("test.slow", from: 0, to: ids[1], on: app.sql))
            // Everything is older than the cutoff; only what the consumer has read may go.
            try await EventStore.deleteOld(before: Clock.nowMillis() + 60_000, on: app.sql)
            #expect(try await EventStore.after(0, limit: 10, on: app.sql).map(\.id) == Array(ids[2...]))
            try await EventConsumerStore.remove("test.slow", on: app.sql)
            try await EventStore.deleteOld(before: Clock.nowMillis() + 60_000, on: app.sql)
            #expect(try await EventStore.after(0, limit: 10, on: app.sql).isEmpty)
        }
    }

    @Test func oneLeaderAtATimeAndAnotherTakesOverWhenItStops() async throws {
        try await withApp { app in
            let leaders = NIOLockedValueBox<[Int]>([])
            let concurrent = NIOLockedValueBox((now: 0, max: 0))
            func candidate(_ n: Int) -> LeaderService {
                LeaderService(key: "test.leader", db: app.sql, lease: .seconds(3), logger: app.logger) {
                    leaders.withLockedValue { $0.append(n) }
                    concurrent.withLockedValue {
                        $0.now += 1; $0.max = max($0.max, $0.now)
                    }
                    defer { concurrent.withLockedValue { $0.now -= 1 } }
                    try await Task.sleep(for: .seconds(3600))
                }
            }
            let first = ServiceGroup(configuration: .init(services: [candidate(1)], logger: app.logger))
            let firstTask = Task { try await first.run() }
            #expect(try await eventually { leaders.withLockedValue { $0 } == [1] })
            try await Self.running([candidate(2)], logger: app.logger) {
                // Three renewals' time (the lease is long enough for a loaded test machine).
                try await Task.sleep(for: .milliseconds(3000))
                #expect(leaders.withLockedValue { $0 } == [1])
                // The leader shuts down and gives the lease up: the other takes over.
                await first.triggerGracefulShutdown()
                try await firstTask.value
                let tookOver = try await eventually { leaders.withLockedValue { $0 } == [1, 2] }
                #expect(tookOver)
            }
            #expect(concurrent.withLockedValue { $0.max } == 1)
            #expect(try await Leases.holder("test.leader", on: app.sql) == nil)
        }
    }
}

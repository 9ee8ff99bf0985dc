@testable import CadenzaServer
import Foundation
import NIOConcurrencyHelpers
import SQLKit
import ServiceLifecycle
import Testing
import Vapor

@Suite struct LeasesTests {
    /// A playout renews all its stations' leases in one statement: only what it holds is
    /// renewed (with its new address), and a lease another process holds is left untouched.
    @Test func renewingManyKeysRenewsOnlyThoseTheOwnerHolds() async throws {
        try await withApp { app in
            let db = app.sql
            // (Leases long enough that none runs out on a busy machine before the renewal: the
            // suite beside the end-to-end tests took 29 s for this test, and a 1 s lease of "b"
            // had expired before it was compared.)
            #expect(try await Leases.acquire("k.1", owner: "a", duration: .seconds(60), address: "http://a1", on: db))
            #expect(try await Leases.acquire("k.2", owner: "a", duration: .seconds(60), on: db))
            #expect(try await Leases.acquire("k.3", owner: "b", duration: .seconds(60), address: "http://b", on: db))
            let before = try #require(try await Leases.holding("k.3", on: db))
            let renewed = try await Leases.renew(["k.1", "k.2", "k.3", "k.none"], owner: "a", duration: .seconds(600), address: "http://a2", on: db)
            #expect(renewed == ["k.1", "k.2"])
            let first = try #require(try await Leases.holding("k.1", on: db))
            #expect(first.owner == "a" && first.address == "http://a2" && first.expiresAt > Clock.nowMillis() + 500_000)
            #expect(try await Leases.holding("k.3", on: db) == before)
            #expect(try await Leases.holding("k.none", on: db) == nil)
            #expect(try await Leases.renew([], owner: "a", duration: .seconds(1), on: db).isEmpty)
        }
    }

    /// The leases a process leads are renewed together, each for its own duration and only
    /// where its own owner still holds it.
    @Test func leasesRenewedTogetherKeepTheirOwnDurationsAndOwners() async throws {
        try await withApp { app in
            let db = app.sql
            #expect(try await Leases.acquire("t.a", owner: "one", duration: .seconds(60), on: db))
            #expect(try await Leases.acquire("t.b", owner: "two", duration: .seconds(60), on: db))
            #expect(try await Leases.acquire("t.c", owner: "other", duration: .seconds(60), on: db))
            let renewed = try await LeaseRenewals.renew(
                [("t.a", "one", .seconds(600)), ("t.b", "two", .seconds(6_000)), ("t.c", "one", .seconds(600)), ("t.none", "one", .seconds(600))],
                on: db)
            #expect(renewed == ["t.a", "t.b"])
            let now = Clock.nowMillis()
            let a = try #require(try await Leases.holding("t.a", on: db)), b = try #require(try await Leases.holding("t.b", on: db))
            #expect(a.owner == "one" && (now + 500_000...now + 600_000).contains(a.expiresAt))
            #expect(b.owner == "two" && (now + 5_900_000...now + 6_000_000).contains(b.expiresAt))
            #expect(try #require(try await Leases.holding("t.c", on: db)).owner == "other")
            #expect(try await Leases.holding("t.none", on: db) == nil)
        }
    }

    /// Two leaders sharing the process's renewer keep leading past their leases' length, with
    /// their renewals made in one statement; a lease another process holds now is noticed at the
    /// next renewal (its 60 s lease would let its watchdog wait 48 s) and its body stopped.
    @Test func leadersSharingARenewerKeepTheirLeasesAndNoticeOneLost() async throws {
        try await withApp { app in
            let db = app.sql
            let renewals = LeaseRenewals(db: db)
            let running = NIOLockedValueBox<Set<String>>([])
            let leader = { (key: String, lease: Duration) in
                LeaderService(key: key, db: db, lease: lease, renewals: renewals, logger: app.logger) {
                    running.withLockedValue { _ = $0.insert(key) }
                    defer { running.withLockedValue { _ = $0.remove(key) } }
                    while !Task.isCancelled { try await Task.sleep(for: .milliseconds(100)) }
                }
            }
            try await EventConsumerTests.running([leader("r.one", .seconds(6)), leader("r.two", .seconds(60))], logger: app.logger) {
                #expect(try await eventually { running.withLockedValue { $0 } == ["r.one", "r.two"] })
                let first = try #require(try await Leases.holding("r.one", on: db))
                // Longer than a lease: both were renewed (by the renewer: each service renews nothing itself).
                try await Task.sleep(for: .seconds(8))
                #expect(running.withLockedValue { $0 } == ["r.one", "r.two"])
                let later = try #require(try await Leases.holding("r.one", on: db))
                #expect(later.owner == first.owner && later.expiresAt > first.expiresAt + 3_000)
                // Another process takes "r.two" (as after an expiry): its leader stops; "r.one" leads on.
                try await db.raw("UPDATE leases SET owner = 'elsewhere' WHERE key = 'r.two'").run()
                #expect(try await eventually { running.withLockedValue { $0 } == ["r.one"] })
                #expect(try await Leases.holding("r.two", on: db)?.owner == "elsewhere")
            }
            #expect(running.withLockedValue { $0 }.isEmpty)
        }
    }

    /// Every running process holds a presence lease (what `cadenza restore` refuses under, also
    /// for a process that leads nothing), gives it up when it stops, and the rows of processes
    /// killed long ago are cleared while recent ones stay.
    @Test func aRunningProcessIsPresentUntilItStopsAndLongGoneOnesAreCleared() async throws {
        try await withApp { app in
            let db = app.sql
            let present = { () async throws -> [String] in
                try await db.raw("SELECT key FROM leases WHERE key LIKE 'process.%' AND expires_at >= \(bind: Clock.nowMillis())").all()
                    .map { try $0.decode(column: "key", as: String.self) }
            }
            try await EventConsumerTests.running([PresenceService(db: db)], logger: app.logger) {
                let seen = try await eventually { try await present().count == 1 }
                #expect(seen)
            }
            #expect(try await present().isEmpty)
            let now = Clock.nowMillis()
            for (key, expires) in [("process.killed-long-ago", now - 7_200_000), ("process.killed-just-now", now - 1_000)] {
                try await db.raw("INSERT INTO leases (key, owner, expires_at) VALUES (\(bind: key), \(bind: key), \(bind: expires))").run()
            }
            try await PresenceService.clearGone(on: db)
            let left = try await db.raw("SELECT key FROM leases WHERE key LIKE 'process.%'").all().map {
                try $0.decode(column: "key", as: String.self)
            }
            #expect(left == ["process.killed-just-now"])
        }
    }
}

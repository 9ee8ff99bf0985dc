@testable import CadenzaServer
import Foundation
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

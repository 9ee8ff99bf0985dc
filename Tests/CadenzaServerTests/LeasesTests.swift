@testable import CadenzaServer
import Foundation
import SQLKit
import Testing

@Suite struct LeasesTests {
    /// A playout renews all its stations' leases in one statement: only what it holds is
    /// renewed (with its new address), and a lease another process holds is left untouched.
    @Test func renewingManyKeysRenewsOnlyThoseTheOwnerHolds() async throws {
        try await withApp { app in
            let db = app.sql
            #expect(try await Leases.acquire("k.1", owner: "a", duration: .seconds(1), address: "http://a1", on: db))
            #expect(try await Leases.acquire("k.2", owner: "a", duration: .seconds(1), on: db))
            #expect(try await Leases.acquire("k.3", owner: "b", duration: .seconds(1), address: "http://b", on: db))
            let before = try #require(try await Leases.holding("k.3", on: db))
            let renewed = try await Leases.renew(["k.1", "k.2", "k.3", "k.none"], owner: "a", duration: .seconds(60), address: "http://a2", on: db)
            #expect(renewed == ["k.1", "k.2"])
            let first = try #require(try await Leases.holding("k.1", on: db))
            #expect(first.owner == "a" && first.address == "http://a2" && first.expiresAt > Clock.nowMillis() + 50_000)
            #expect(try await Leases.holding("k.3", on: db) == before)
            #expect(try await Leases.holding("k.none", on: db) == nil)
            #expect(try await Leases.renew([], owner: "a", duration: .seconds(1), on: db).isEmpty)
        }
    }
}

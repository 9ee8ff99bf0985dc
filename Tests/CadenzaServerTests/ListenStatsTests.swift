@testable import CadenzaServer
import Fluent
import Foundation
import SQLKit
import Testing
import Vapor

@Suite struct ListenStatsTests {
    static func day(_ y: Int64, _ m: Int64, _ d: Int64) -> Int64 { LocalCalendar.dayNumber(year: y, month: m, day: d) }

    @Test func civilDatesRoundTrip() {
        for day in stride(from: Int64(-800), to: 30_000, by: 7) {
            let c = LocalCalendar.civil(day)
            #expect(LocalCalendar.dayNumber(year: c.year, month: c.month, day: c.day) == day)
        }
        #expect(Self.day(1970, 1, 1) == 0)
        #expect(LocalCalendar.weekday(ofDay: Self.day(2026, 11, 23)) == 0)  // a Monday
        #expect(LocalCalendar.weekday(ofDay: Self.day(2024, 2, 29)) == 3)  // a Thursday
    }

    @Test func rangesAreWholeLocalPeriods() throws {
        let today = Self.day(2026, 11, 25)  // a Wednesday
        func days(_ range: StatsRange) throws -> (Int64, Int64) { try #require(range.days(today: today)) }
        #expect(try days(.thisWeek) == (Self.day(2026, 11, 23), today + 1))
        #expect(try days(.week) == (Self.day(2026, 11, 16), Self.day(2026, 11, 23)))
        #expect(try days(.thisMonth) == (Self.day(2026, 11, 1), today + 1))
        #expect(try days(.month) == (Self.day(2026, 10, 1), Self.day(2026, 11, 1)))
        #expect(try days(.quarter) == (Self.day(2026, 7, 1), Self.day(2026, 10, 1)))
        #expect(try days(.halfYearly) == (Self.day(2026, 1, 1), Self.day(2026, 7, 1)))
        #expect(try days(.year) == (Self.day(2025, 1, 1), Self.day(2026, 1, 1)))
        #expect(try days(.thisYear) == (Self.day(2026, 1, 1), today + 1))
        #expect(StatsRange.allTime.days(today: today) == nil)
        let january = Self.day(2027, 1, 5)
        #expect(StatsRange.month.days(today: january)! == (Self.day(2026, 12, 1), Self.day(2027, 1, 1)))
        #expect(StatsRange.quarter.days(today: january)! == (Self.day(2026, 10, 1), Self.day(2027, 1, 1)))
    }

    /// Every range's top lists, answered from the rollups, equal a plain count over the listens
    /// in that range, in a zone with daylight saving time.
    @Test func rankedStatsEqualACountOverTheListens() async throws {
        // Batches this large leave their rollups to a job: a worker runs it.
        try await withApp(roles: [.worker]) { app in
            let user = User(username: "listener", passwordHash: "x", role: .user)
            try await user.create(on: app.db)
            try await app.sql.raw("UPDATE users SET time_zone = 'Europe/Berlin' WHERE id = \(bind: try user.requireID())").run()
            let owner = try #require(try await ListenOwner.load(userID: try user.requireID(), on: app.sql))
            let now = Clock.nowMillis() / 1000
            var generator = Sampling.SplitMix64(state: 42)  // deterministic: the same data set every run
            var listens: [IncomingListen] = []
            for i in 0..<3000 {
                let artist = "Artist \(Int(generator.next() % 7))", title = "Song \(Int(generator.next() % 5))"
                let ts = now - 60 - Int64(generator.next() % (420 * 86_400))
                listens.append(
                    IncomingListen(
                        listenedAt: ts - Int64(i % 2), trackName: title, artistName: artist, releaseName: "LP of \(artist)",
                        recordingMBID: nil, releaseMBID: nil, releaseGroupMBID: nil, artistMBIDs: [], durationMs: nil,
                        additionalInfo: [:], trackID: nil))
            }
            for chunk in listens.chunked(700) {
                try await app.db.writeTransaction { tx in
                    try await ListenStore.ingest(Array(chunk), owner: owner, source: "test", on: tx.sql)
                }
            }
            #expect(
                try await eventually {
                    try await app.sql.raw("SELECT COUNT(*) AS n FROM listen_rollup_backlog").first()?.decode(column: "n", as: Int.self) == 0
                })
            let calendar = owner.calendar
            let today = calendar.day(now)
            var seen = Set<String>()
            let unique = listens.filter { seen.insert("\($0.listenedAt ?? 0)|\($0.trackName)").inserted }
            for range in StatsRange.allCases {
                let bounds = range.days(today: today).map { (calendar.start(ofDay: $0.from), calendar.start(ofDay: $0.to)) }
                let inRange = unique.filter { listen in bounds.map { (listen.listenedAt ?? 0) >= $0.0 && (listen.listenedAt ?? 0) < $0.1 } ?? true }
                var expected: [String: Int64] = [:]
                for listen in inRange { expected[listen.artistName, default: 0] += 1 }
                let (ranked, total) = try await StatsQueries.top(
                    kind: .artist, userID: owner.userID, range: range, today: today,
                    count: 100, offset: 0, on: app.sql)
                let names = try await StatsEntities.describe(ranked, kind: .artist, on: app.sql)
                var got: [String: Int64] = [:]
                for (entry, item) in zip(names, ranked) {
                    if case .object(let object) = entry, case .string(let name)? = object["artist_name"] { got[name] = item.count }
                }
                #expect(got == expected, "range \(range.rawValue)")
                #expect(total == expected.count, "range \(range.rawValue)")
                #expect(ranked.map(\.count) == ranked.map(\.count).sorted(by: >), "range \(range.rawValue)")
            }
            let activity = try await StatsQueries.dailyCounts(userID: owner.userID, days: nil, on: app.sql)
            #expect(activity.values.reduce(0, +) == Int64(unique.count))
            #expect(try await ListenStore.count(userID: owner.userID, on: app.sql) == Int64(unique.count))
        }
    }

    /// A deletion while a large batch's rollups still wait counts them up first: otherwise the
    /// row it counts down to -1 is dropped, and the later +1 leaves a listen that is not there.
    @Test func aListenDeletedBeforeItsBatchWasRolledUpLeavesNoTraceInTheStats() async throws {
        try await withApp { app in
            let user = User(username: "importer", passwordHash: "x", role: .user)
            try await user.create(on: app.db)
            let owner = try #require(try await ListenOwner.load(userID: try user.requireID(), on: app.sql))
            let now = Clock.nowMillis() / 1000
            let listens = (0..<(StatsRollup.inlineUpTo * 2)).map { i in
                IncomingListen(
                    listenedAt: now - 3600 - Int64(i) * 60, trackName: "Song \(i % 3)", artistName: "Artist \(i % 2)", releaseName: nil,
                    recordingMBID: nil, releaseMBID: nil, releaseGroupMBID: nil, artistMBIDs: [], durationMs: nil,
                    additionalInfo: [:], trackID: nil)
            }
            try await app.db.writeTransaction { tx in _ = try await ListenStore.ingest(listens, owner: owner, source: "test", on: tx.sql) }
            let today = owner.calendar.day(now)
            func artists() async throws -> [Int64] {
                try await StatsQueries.top(kind: .artist, userID: owner.userID, range: .allTime, today: today, count: 10, offset: 0, on: app.sql)
                    .entries.map(\.count)
            }
            #expect(try await artists().isEmpty)  // no worker here: the batch's rollups wait
            let first = listens[0]
            let msid = ListenDictionary.msid(ListenDictionary.keys(first))
            let deleted = try await app.db.writeTransaction { tx in
                try await ListenStore.delete(owner: owner, listenedAt: first.listenedAt ?? 0, msid: msid, on: tx.sql)
            }
            #expect(deleted)
            #expect(try await artists() == [50, 49])
            #expect(try await app.sql.raw("SELECT COUNT(*) AS n FROM listen_rollup_backlog").first()?.decode(column: "n", as: Int.self) == 0)
        }
    }
}

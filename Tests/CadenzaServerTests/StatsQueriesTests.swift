@testable import CadenzaServer
import Fluent
import Foundation
import SQLKit
import Testing
import Vapor

/// `StatsQueries` over listens stored with `ListenStore.ingest`: which listens a range counts,
/// whose, deduplication, paging, deletion and the user's own calendar.
@Suite struct StatsQueriesTests {
    /// One page of a top list, named the way the stats API names entities.
    struct Top: Equatable, CustomStringConvertible {
        var names: [String]
        var counts: [Int64]
        var total: Int
        var description: String { "\(names) \(counts) total \(total)" }
    }

    static func listen(
        _ artist: String, _ title: String, at ts: Int64, release: String? = nil,
        releaseGroupMBID: String? = nil
    ) -> IncomingListen {
        IncomingListen(
            listenedAt: ts, trackName: title, artistName: artist, releaseName: release, recordingMBID: nil, releaseMBID: nil,
            releaseGroupMBID: releaseGroupMBID, artistMBIDs: [], durationMs: nil, additionalInfo: [:], trackID: nil)
    }

    static func owner(_ app: Application, _ name: String, timeZone: String = "UTC") async throws -> ListenOwner {
        let (id, _) = try await app.makeUser(name)
        try await app.sql.raw("UPDATE users SET time_zone = \(bind: timeZone) WHERE id = \(bind: id)").run()
        return try #require(try await ListenOwner.load(userID: id, on: app.sql))
    }

    @discardableResult
    static func ingest(_ app: Application, _ listens: [IncomingListen], as owner: ListenOwner) async throws -> ListenStore.Outcome {
        try await app.db.writeTransaction { tx in
            try await ListenStore.ingest(listens, owner: owner, source: "test", on: tx.sql)
        }
    }

    static func top(
        _ app: Application, _ kind: StatsRollup.Kind, _ owner: ListenOwner, _ range: StatsRange, today: Int64,
        count: Int = 100, offset: Int = 0
    ) async throws -> Top {
        let (ranked, total) = try await StatsQueries.top(
            kind: kind, userID: owner.userID, range: range, today: today,
            count: count, offset: offset, on: app.sql)
        let key: String
        switch kind {
        case .artist: key = "artist_name"
        case .recording: key = "track_name"
        case .release: key = "release_name"
        case .releaseGroup: key = "release_group_name"
        }
        let names = try await StatsEntities.describe(ranked, kind: kind, on: app.sql).map { entry -> String in
            guard case .object(let object) = entry, case .string(let name)? = object[key] else { return "?" }
            return name
        }
        return Top(names: names, counts: ranked.map(\.count), total: total)
    }

    /// Today in the owner's calendar and the UTC instant last week (`StatsRange.week`) began.
    static func lastWeek(_ owner: ListenOwner) throws -> (today: Int64, start: Int64) {
        let today = owner.calendar.day(Clock.nowMillis() / 1000)
        let (from, _) = try #require(StatsRange.week.days(today: today))
        return (today, owner.calendar.start(ofDay: from))
    }

    @Test func topListsCountOnlyTheUsersOwnListensInsideTheRange() async throws {
        try await withApp { app in
            let ann = try await Self.owner(app, "ann"), bob = try await Self.owner(app, "bob")
            let (today, start) = try Self.lastWeek(ann)
            var listens = (0..<3).map { Self.listen("Kaloven", "Glass One", at: start + 3600 + Int64($0) * 60) }
            listens.append(Self.listen("Milo", "Night One", at: start + 86_400))
            listens.append(Self.listen("Milo", "Night One", at: start - 3600))  // the week before
            listens += (0..<5).map { Self.listen("Orla", "Tide", at: start - 2 * 86_400 + Int64($0) * 60) }
            try await Self.ingest(app, listens, as: ann)
            try await Self.ingest(app, (0..<4).map { Self.listen("Bram", "Other", at: start + 7200 + Int64($0)) }, as: bob)

            #expect(try await Self.top(app, .artist, ann, .week, today: today) == Top(names: ["Kaloven", "Milo"], counts: [3, 1], total: 2))
            #expect(
                try await Self.top(app, .recording, ann, .week, today: today)
                    == Top(names: ["Glass One", "Night One"], counts: [3, 1], total: 2))
            #expect(
                try await Self.top(app, .artist, ann, .allTime, today: today)
                    == Top(names: ["Orla", "Kaloven", "Milo"], counts: [5, 3, 2], total: 3))
            #expect(try await Self.top(app, .artist, bob, .week, today: today) == Top(names: ["Bram"], counts: [4], total: 1))
            #expect(try await Self.top(app, .artist, bob, .allTime, today: today) == Top(names: ["Bram"], counts: [4], total: 1))

            let annDays = try await StatsQueries.dailyCounts(userID: ann.userID, days: nil, on: app.sql)
            #expect(annDays.values.reduce(0, +) == 10)
            let lastWeekDays = try #require(StatsRange.week.days(today: today))
            let inWeek = try await StatsQueries.dailyCounts(userID: ann.userID, days: lastWeekDays, on: app.sql)
            #expect(inWeek.values.reduce(0, +) == 4)
        }
    }

    /// A listen is keyed by (user, listened_at, track_name): resubmissions and a second scrobbler
    /// reporting the same play count once, in the batch and across batches, but only per user.
    @Test func theSameTimeAndTrackNameIsOneListenPerUser() async throws {
        try await withApp { app in
            let ann = try await Self.owner(app, "ann"), bob = try await Self.owner(app, "bob")
            let (today, start) = try Self.lastWeek(ann)
            let t = start + 3600
            let first = try await Self.ingest(
                app,
                [
                    Self.listen("Kaloven", "Glass One", at: t),
                    Self.listen("Kaloven", "Glass One", at: t),  // the same, in the same batch
                    Self.listen("Kaloven", "Glass One", at: t + 1),
                    Self.listen("Kaloven", "Glass Two", at: t),
                ], as: ann)
            #expect(first.inserted == 3 && first.duplicates == 1)
            #expect(first.stored == [true, false, true, true])
            let second = try await Self.ingest(
                app,
                [
                    Self.listen("Kaloven", "Glass One", at: t),  // stored before
                    Self.listen("Milo", "Glass One", at: t),  // same time and title, another artist: still the same listen
                    Self.listen("Kaloven", "Glass Three", at: t + 2),
                ], as: ann)
            #expect(second.inserted == 1 && second.duplicates == 2)
            #expect(second.stored == [false, false, true])
            let bobs = try await Self.ingest(app, [Self.listen("Kaloven", "Glass One", at: t)], as: bob)
            #expect(bobs.inserted == 1)

            #expect(try await ListenStore.count(userID: ann.userID, on: app.sql) == 4)
            #expect(try await ListenStore.count(userID: bob.userID, on: app.sql) == 1)
            for range in [StatsRange.week, .allTime] {
                #expect(
                    try await Self.top(app, .artist, ann, range, today: today) == Top(names: ["Kaloven"], counts: [4], total: 1),
                    "\(range.rawValue)")
                let recordings = try await Self.top(app, .recording, ann, range, today: today)
                #expect(recordings.names.first == "Glass One", "\(range.rawValue)")
                #expect(Set(recordings.names) == ["Glass One", "Glass Two", "Glass Three"], "\(range.rawValue)")
                #expect(recordings.counts == [2, 1, 1], "\(range.rawValue)")
            }
            #expect(try await StatsQueries.dailyCounts(userID: ann.userID, days: nil, on: app.sql).values.reduce(0, +) == 4)
        }
    }

    @Test func topListsPageInRankOrderAndReportTheTotalOnEveryPage() async throws {
        try await withApp { app in
            let ann = try await Self.owner(app, "ann")
            let (today, start) = try Self.lastWeek(ann)
            var listens: [IncomingListen] = []
            for k in 1...5 {  // "Artist k" is played k times
                for j in 0..<k { listens.append(Self.listen("Artist \(k)", "Song \(k)", at: start + 3600 + Int64(k * 1000 + j * 10))) }
            }
            try await Self.ingest(app, listens, as: ann)
            for range in [StatsRange.week, .allTime] {
                func page(_ offset: Int) async throws -> Top {
                    try await Self.top(app, .artist, ann, range, today: today, count: 2, offset: offset)
                }
                #expect(try await page(0) == Top(names: ["Artist 5", "Artist 4"], counts: [5, 4], total: 5), "\(range.rawValue)")
                #expect(try await page(2) == Top(names: ["Artist 3", "Artist 2"], counts: [3, 2], total: 5), "\(range.rawValue)")
                #expect(try await page(4) == Top(names: ["Artist 1"], counts: [1], total: 5), "\(range.rawValue)")
                #expect(try await page(5) == Top(names: [], counts: [], total: 5), "\(range.rawValue)")
                #expect(try await page(50) == Top(names: [], counts: [], total: 5), "\(range.rawValue)")
            }
            // An empty range has no entries and a total of zero.
            let empty = try await Self.top(app, .artist, ann, .thisYear, today: today - 800)
            #expect(empty == Top(names: [], counts: [], total: 0))
        }
    }

    @Test func deletingAListenTakesItOutOfEveryRollup() async throws {
        try await withApp { app in
            let ann = try await Self.owner(app, "ann")
            let (today, start) = try Self.lastWeek(ann)
            let t = start + 3600
            let night = Self.listen("Milo", "Night One", at: t + 120)
            try await Self.ingest(
                app, [Self.listen("Kaloven", "Glass One", at: t), Self.listen("Kaloven", "Glass One", at: t + 60), night],
                as: ann)
            let msid = ListenDictionary.msid(ListenDictionary.keys(night))

            // The recording at another time is not this listen.
            let wrong = try await app.db.writeTransaction { tx in
                try await ListenStore.delete(owner: ann, listenedAt: t, msid: msid, on: tx.sql)
            }
            #expect(!wrong)
            #expect(try await Self.top(app, .artist, ann, .allTime, today: today).total == 2)

            let deleted = try await app.db.writeTransaction { tx in
                try await ListenStore.delete(owner: ann, listenedAt: t + 120, msid: msid, on: tx.sql)
            }
            #expect(deleted)
            for range in [StatsRange.week, .allTime] {
                #expect(
                    try await Self.top(app, .artist, ann, range, today: today) == Top(names: ["Kaloven"], counts: [2], total: 1),
                    "\(range.rawValue)")
                #expect(
                    try await Self.top(app, .recording, ann, range, today: today) == Top(names: ["Glass One"], counts: [2], total: 1),
                    "\(range.rawValue)")
            }
            #expect(try await StatsQueries.dailyCounts(userID: ann.userID, days: nil, on: app.sql).values.reduce(0, +) == 2)
            let bounds = try await ListenQueries.bounds(userID: ann.userID, on: app.sql)
            #expect(bounds.count == 2 && bounds.oldest == t && bounds.latest == t + 60)

            let again = try await app.db.writeTransaction { tx in
                try await ListenStore.delete(owner: ann, listenedAt: t + 120, msid: msid, on: tx.sql)
            }
            #expect(!again)
            #expect(try await ListenStore.count(userID: ann.userID, on: app.sql) == 2)
        }
    }

    /// Days and hours are the listener's local ones: 20:00 UTC on Sunday 10 March 2024 is 05:00 on
    /// Monday in Tokyo (UTC+9, no daylight saving time).
    @Test func activityIsCountedInTheListenersTimeZone() async throws {
        try await withApp { app in
            let tokyo = try await Self.owner(app, "tokyo", timeZone: "Asia/Tokyo"), utc = try await Self.owner(app, "utc")
            let sunday = LocalCalendar.dayNumber(year: 2024, month: 3, day: 10)
            #expect(LocalCalendar.weekday(ofDay: sunday) == 6)
            let ts = sunday * 86_400 + 20 * 3600
            try await Self.ingest(app, [Self.listen("Kaloven", "Glass One", at: ts)], as: tokyo)
            try await Self.ingest(app, [Self.listen("Kaloven", "Glass One", at: ts)], as: utc)

            #expect(try await StatsQueries.dailyCounts(userID: tokyo.userID, days: nil, on: app.sql) == [sunday + 1: 1] as [Int64: Int64])
            #expect(try await StatsQueries.dailyCounts(userID: utc.userID, days: nil, on: app.sql) == [sunday: 1] as [Int64: Int64])
            #expect(try await StatsQueries.dailyCounts(userID: tokyo.userID, days: (sunday, sunday + 1), on: app.sql).isEmpty)
            #expect(try await StatsQueries.dailyCounts(userID: utc.userID, days: (sunday, sunday + 1), on: app.sql) == [sunday: 1] as [Int64: Int64])

            let tokyoGrid = try await StatsQueries.hourly(userID: tokyo.userID, days: nil, on: app.sql)
            let utcGrid = try await StatsQueries.hourly(userID: utc.userID, days: nil, on: app.sql)
            #expect(tokyoGrid[0][5] == 1)  // Monday 05:00
            #expect(utcGrid[6][20] == 1)  // Sunday 20:00
            #expect(tokyoGrid.joined().reduce(0, +) == 1)
            #expect(utcGrid.joined().reduce(0, +) == 1)
        }
    }

    /// Releases sharing a release-group MBID rank together as one release group; each is still its
    /// own release.
    @Test func releasesOfOneReleaseGroupRankTogether() async throws {
        try await withApp { app in
            let ann = try await Self.owner(app, "ann")
            let (today, start) = try Self.lastWeek(ann)
            let group = "0b6e3e3a-0000-4000-8000-00000000bbbb"
            try await Self.ingest(
                app, [Self.listen("Kaloven", "Glass One", at: start + 3600, release: "Glass Echo", releaseGroupMBID: group)],
                as: ann)
            try await Self.ingest(
                app,
                [
                    Self.listen("Kaloven", "Glass Two", at: start + 3660, release: "Glass Echo (Deluxe)", releaseGroupMBID: group),
                    Self.listen("Kaloven", "Night One", at: start + 3720, release: "Night"),
                    Self.listen("Kaloven", "Night Two", at: start + 3780, release: "Night"),
                    Self.listen("Kaloven", "Night Three", at: start + 3840, release: "Night"),
                ], as: ann)
            for range in [StatsRange.week, .allTime] {
                let releases = try await Self.top(app, .release, ann, range, today: today)
                #expect(releases.total == 3, "\(range.rawValue)")
                #expect(releases.names.first == "Night" && releases.counts == [3, 1, 1], "\(range.rawValue)")
                #expect(
                    try await Self.top(app, .releaseGroup, ann, range, today: today)
                        == Top(names: ["Night", "Glass Echo"], counts: [3, 2], total: 2), "\(range.rawValue)")
            }
        }
    }
}

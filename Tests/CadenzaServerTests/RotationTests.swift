import CadenzaPlayout
import Foundation
import Testing

@testable import CadenzaServer

/// The autoDJ's weighted rotation, the hourly station ID's mark and a smart block's limits.
@Suite struct RotationTests {
    func candidate(_ id: Int64, weight: Double) -> AutoDJ.Candidate {
        AutoDJ.Candidate(
            trackID: id, item: PlayoutItem(id: String(id), path: "/x", title: "T\(id)", artist: "A\(id)", durationMs: 1_000), weight: weight)
    }

    /// A playlist of weight 3 against one of weight 1, one track each: the first comes first
    /// about three times in four.
    @Test func weightsSetTheOdds() {
        let pool = [candidate(1, weight: 3), candidate(2, weight: 1)]
        let draws = 8_000
        let first = (0..<draws).filter { _ in AutoDJ.weightedOrder(pool).first?.trackID == 1 }.count
        #expect(abs(Double(first) / Double(draws) - 0.75) < 0.03)
        // A weight that is not a positive number never traps and never wins over a real one.
        let odd = [candidate(1, weight: .nan), candidate(2, weight: 1)]
        #expect(AutoDJ.weightedOrder(odd).first?.trackID == 2)
    }

    /// What continues from the last track aired weighs four times its own weight, in a playlist
    /// rotation as in the library's: one such track among ten comes first about 4 times in 13.
    @Test func whatContinuesFromTheLastTrackIsFavoured() {
        let pool = (1...10).map { candidate(Int64($0), weight: 0.5) }
        #expect(AutoDJ.favouring([], in: pool).map(\.weight) == pool.map(\.weight))
        let favoured = AutoDJ.favouring([3, 99], in: pool)
        #expect(favoured.map(\.weight) == pool.map { $0.trackID == 3 ? 2 : 0.5 })
        let draws = 8_000
        let first = (0..<draws).filter { _ in AutoDJ.weightedOrder(favoured).first?.trackID == 3 }.count
        #expect(abs(Double(first) / Double(draws) - 4.0 / 13) < 0.03)
    }

    /// No track again within the track gap, no artist within the artist gap; when the library is
    /// too small for both, tracks only, then anything but what aired or was queued last.
    @Test func repeatRulesHoldWhileTheyCanAndRelaxInOrder() {
        let minute: Int64 = 60_000, now: Int64 = 1_800_000_000_000
        func named(_ id: Int64, _ artist: String) -> AutoDJ.Candidate {
            AutoDJ.Candidate(trackID: id, item: PlayoutItem(id: String(id), path: "/x", title: "T\(id)", artist: artist, durationMs: 1_000))
        }
        let pool = [named(1, "Ann"), named(2, "Ann"), named(3, "Bob"), named(4, "Cy")]
        // Ann aired 5 minutes ago (track 1), Bob's track 3 is queued: only Cy's track is fine.
        var chosen = AutoDJ.choose(
            count: 2, from: pool, aired: [(1, "ANN", now - 5 * minute)], upcoming: [pool[2].item], now: now)
        #expect(chosen.map(\.trackID) == [4])
        // Half an hour later Ann may come back, but not track 1 within the hour.
        chosen = AutoDJ.choose(count: 3, from: pool, aired: [(1, "Ann", now - 30 * minute)], upcoming: [], now: now)
        #expect(chosen.map(\.trackID) == [2, 3, 4])
        // Every track aired within the hour: the tracks rule gives way, never to the one aired last.
        let aired: [(trackID: Int64?, artist: String, at: Int64)] = [
            (1, "Ann", now - 40 * minute), (2, "Ann", now - 30 * minute), (3, "Bob", now - 20 * minute), (4, "Cy", now - 1 * minute),
        ]
        chosen = AutoDJ.choose(count: 2, from: pool, aired: aired, upcoming: [], now: now)
        #expect(chosen.map(\.trackID) == [1, 2])
        // A one-track library still airs.
        #expect(AutoDJ.choose(count: 1, from: [pool[3]], aired: aired, upcoming: [], now: now).map(\.trackID) == [4])
    }

    /// The hourly mark is the last time the clock showed that minute, in the station's zone
    /// (India is half an hour off the hour).
    @Test func hourlyMarkFollowsTheZone() {
        let utc = TimeZone(identifier: "UTC")!
        let kolkata = TimeZone(identifier: "Asia/Kolkata")!
        let at: Int64 = 1_800_000_000_000  // 2027-01-15 08:00:00 UTC
        #expect(StationPlayout.hourMark(before: at + 5 * 60_000, minute: 5, zone: utc) == at + 5 * 60_000)
        #expect(StationPlayout.hourMark(before: at + 4 * 60_000, minute: 5, zone: utc) == at + 5 * 60_000 - 3_600_000)
        // 08:00 UTC is 13:30 in Kolkata: its minute 0 was at 07:30 UTC.
        #expect(StationPlayout.hourMark(before: at, minute: 0, zone: kolkata) == at - 30 * 60_000)
    }

    func track(_ id: Int64, seconds: Int) -> CatalogQueries.AirableTrack {
        CatalogQueries.AirableTrack(id: id, title: "T", artist: "A", durationMs: seconds * 1000, absolutePath: "/x")
    }

    /// By time: the tracks that still fit (a short one after a long one that did not), or with
    /// overrun the one that crosses the limit too.
    @Test func smartBlockLimits() {
        let tracks = [track(1, seconds: 50), track(2, seconds: 50), track(3, seconds: 15), track(4, seconds: 5)]
        let criteria = TrackCriteria(all: true, groups: [])
        #expect(SmartBlock(criteria: criteria, limitMinutes: 1).limited(tracks).map(\.id) == [1, 4])
        #expect(SmartBlock(criteria: criteria, limitMinutes: 1, overrun: true).limited(tracks).map(\.id) == [1, 2])
        #expect(SmartBlock(criteria: criteria, limitItems: 3).limited(tracks).map(\.id) == [1, 2, 3])
        #expect(SmartBlock(criteria: criteria, limitItems: 0).problem() != nil)
        let hostile = TrackCriteria(all: true, groups: [.init(all: true, rules: [.init(field: .year, op: .between, value: "1e308", to: "2")])])
        #expect(hostile.problem() != nil)
        let wrongOp = TrackCriteria(all: true, groups: [.init(all: true, rules: [.init(field: .artist, op: .lessThan, value: "x")])])
        #expect(wrongOp.problem() != nil)
    }
}

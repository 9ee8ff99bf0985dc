@testable import CadenzaServer
import Testing

@Suite struct DiscoveryModelTests {
    /// Two tastes: items 0–4 are played together, 5–9 together; item 10 by one person only.
    func twoTastes() -> [[(item: Int32, plays: Int64)]] {
        var people: [[(item: Int32, plays: Int64)]] = []
        for person in 0..<6 {
            let base: Int32 = person < 3 ? 0 : 5
            people.append((0..<5).map { (base + Int32($0), Int64(1 + (person + $0) % 4)) })
        }
        people[0].append((10, 1))
        return people
    }

    @Test func neighboursComeFromTheSameTasteBestFirst() {
        let neighbours = CoListening().neighbours(people: twoTastes(), itemCount: 11)
        for item in 0..<10 {
            let taste = item < 5 ? 0..<5 : 5..<10
            let found = neighbours[item].map { Int($0.item) }
            #expect(!found.isEmpty)
            #expect(found.allSatisfy { taste.contains($0) || $0 == 10 }, "item \(item): \(found)")
            #expect(!found.contains(item))
            #expect(neighbours[item].map(\.score) == neighbours[item].map(\.score).sorted(by: >))
        }
        // What one person played once with the crowd's favourites ranks below what three agree on.
        let ofZero = neighbours[0]
        #expect(ofZero.last?.item == 10)
    }

    @Test func anItemNobodySharesHasNoNeighboursAndNothingCrashesOnEmptyInput() {
        let neighbours = CoListening().neighbours(people: [[(0, 3)], [(1, 2)]], itemCount: 3)
        #expect(neighbours[0].isEmpty && neighbours[1].isEmpty && neighbours[2].isEmpty)
        #expect(CoListening().neighbours(people: [], itemCount: 0).isEmpty)
        // Items outside the range are ignored, not trusted.
        #expect(CoListening().neighbours(people: [[(0, 1), (7, 1)]], itemCount: 2).count == 2)
    }

    @Test func keepsOnlyTheBestAndOnlyEachPersonsMostPlayed() {
        let people: [[(item: Int32, plays: Int64)]] = (0..<4).map { _ in (0..<50).map { (Int32($0), Int64(100 - $0)) } }
        let neighbours = CoListening(keep: 5, perPersonCap: 10).neighbours(people: people, itemCount: 50)
        #expect(neighbours[0].count == 5)
        #expect(neighbours[0].allSatisfy { $0.item < 10 })
        #expect(neighbours[30].isEmpty)  // beyond everyone's ten most played
    }

    @Test func topSelectionAgreesWithAFullSort() {
        var candidates: [CoListening.Neighbour] = []
        for i in 0..<500 { candidates.append(.init(item: Int32(i), score: Float((i * 7919) % 113) / 113)) }
        let sorted = candidates.sorted { $0.score != $1.score ? $0.score > $1.score : $0.item < $1.item }
        #expect(CoListening.top(candidates, 20) == Array(sorted.prefix(20)))
        #expect(CoListening.top(Array(candidates.prefix(3)), 20).count == 3)
    }

    @Test func storedNeighboursRoundTripAndHostileTextIsSkipped() {
        let text = DiscoveryModel.encode([(12, 0.8125), (7, 0.0004)])
        #expect(text == "12:813 7:0")
        #expect(DiscoveryModel.decode(text).map(\.id) == [12, 7])
        #expect(DiscoveryModel.decode("x:1 5 :: 3:2:1 99999999999999999999:5 4:-7 8:12").map(\.id) == [4, 8])
    }

    @Test func aPageHoldsAtMostTwoTracksPerArtistUnlessNothingElseIsLeft() {
        func pick(_ track: Int64, _ artist: Int64) -> Recommendations.Pick {
            .init(trackID: track, score: Double(100 - track), reason: .played, because: nil, albumID: 1, artistID: artist)
        }
        let picks = [pick(1, 1), pick(2, 1), pick(3, 1), pick(4, 2), pick(5, 1), pick(6, 3)]
        #expect(Recommendations.spread(picks, limit: 4, perArtist: 2).map(\.trackID) == [1, 2, 4, 6])
        #expect(Recommendations.spread(picks, limit: 6, perArtist: 2).map(\.trackID) == [1, 2, 4, 6, 3, 5])
    }

    @Test func erasFavourTheDecadesSomeonePlaysAndIgnoreNonsenseYears() {
        let eras = Recommendations.Eras([(1975, 3), (1978, 1), (2004, 4), (Int.max, 100), (-5, 100)])
        #expect(eras.share(of: 1971) == 0.5)
        #expect(eras.share(of: 2009) == 0.5)
        #expect(eras.share(of: 1990) == 0)
        #expect(eras.share(of: nil) == 0 && eras.share(of: Int.min) == 0)
        #expect(Recommendations.Eras([]).share(of: 1990) == 0)
    }

    @Test func aMixNeverRepeatsAnArtistBackToBackWhileAnotherWaits() {
        let tracks: [(id: Int64, artist: Int64?)] = [(1, 1), (2, 1), (3, 1), (4, 2), (5, 3)]
        #expect(InstantMix.spaced(tracks, after: 1, limit: 5) == [4, 1, 5, 2, 3])
        #expect(InstantMix.spaced(tracks, after: nil, limit: 2) == [1, 4])
    }

    @Test func weeklyPlaylistsTurnOnMondayInTheUsersTimeZone() {
        let utc = LocalCalendar(identifier: "UTC")
        let saturday: Int64 = 1_796_428_800  // 2026-12-05 00:00 UTC
        let week = MadeForYou.Kind.weeklyExploration.period(now: saturday, calendar: utc)
        #expect(MadeForYou.Kind.weeklyExploration.period(now: saturday + 86_400 + 86_399, calendar: utc) == week)  // Sunday night
        #expect(MadeForYou.Kind.weeklyExploration.period(now: saturday + 2 * 86_400, calendar: utc) != week)  // Monday
        #expect(MadeForYou.Kind.weeklyExploration.period(now: saturday - 5 * 86_400, calendar: utc) == week)  // that Monday
        #expect(
            MadeForYou.Kind.dailyMix.period(now: saturday, calendar: utc) != MadeForYou.Kind.dailyMix.period(now: saturday + 86_400, calendar: utc))
        // Sunday 23:00 in New York is already Monday in UTC: the New Yorker's week has not turned.
        let newYork = LocalCalendar(identifier: "America/New_York")
        let sundayNight = saturday + 2 * 86_400 + 4 * 3600
        #expect(
            MadeForYou.Kind.rediscover.period(now: sundayNight, calendar: newYork)
                == MadeForYou.Kind.rediscover.period(now: saturday + 43_200, calendar: newYork))
        #expect(
            MadeForYou.Kind.rediscover.period(now: sundayNight, calendar: utc)
                != MadeForYou.Kind.rediscover.period(now: saturday + 43_200, calendar: utc))
    }
}

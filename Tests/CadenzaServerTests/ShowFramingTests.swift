import CadenzaPlayout
import Foundation
import Testing

@testable import CadenzaServer

/// A show's intro and outro in the materialised schedule.
@Suite struct ShowFramingTests {
    func track(_ id: Int64, seconds: Int) -> CatalogQueries.AirableTrack {
        CatalogQueries.AirableTrack(id: id, title: "T\(id)", artist: "A", durationMs: seconds * 1000, absolutePath: "/x")
    }

    func occurrence(intro: Int64?, outro: Int64?, playlist: Int64?, minutes: Int = 1) -> PlannedOccurrence {
        let show = ShowRecord(
            id: 7, stationID: 1, title: "S", hosts: [], description: "", playlistID: playlist,
            rule: ShowRule(startDay: 0, startSecond: 0, durationMinutes: minutes, frequency: .once, interval: 1, weekdays: [], monthlyBy: .date),
            introTrackID: intro, outroTrackID: outro)
        return PlannedOccurrence(
            show: show, day: 0, start: 1_000_000, end: 1_000_000 + Int64(minutes) * 60_000, playlistID: playlist, cancelled: false, moved: false)
    }

    var tracks: [Int64: CatalogQueries.AirableTrack] {
        let all = [track(1, seconds: 2), track(2, seconds: 5), track(3, seconds: 40), track(4, seconds: 40), track(5, seconds: 90)]
        return Dictionary(uniqueKeysWithValues: all.map { ($0.id, $0) })
    }

    /// Intro at the start, content after it, the outro ending at the end and the content cut
    /// where the outro begins.
    @Test func introContentOutro() {
        let items = ScheduleBuilder.items(
            for: [occurrence(intro: 1, outro: 2, playlist: 9)], entries: [9: [.init(trackID: 3), .init(trackID: 4)]], tracks: tracks)
        #expect(items.map(\.trackID) == [1, 3, 4, 2])
        #expect(items.map { $0.startsAt - 1_000_000 } == [0, 2_000, 42_000, 55_000])
        #expect(items.map { $0.endsAt - 1_000_000 } == [2_000, 42_000, 55_000, 60_000])
        #expect(items.map(\.outro) == [false, false, false, true])
    }

    /// Without content the outro still airs at its instant (the rotation fills before it); an
    /// outro longer than what is left after the intro starts after the intro and is cut at the end.
    @Test func outroWithoutContentAndTooLong() {
        let bare = ScheduleBuilder.items(for: [occurrence(intro: 1, outro: 2, playlist: nil)], entries: [:], tracks: tracks)
        #expect(bare.map(\.trackID) == [1, 2] && bare.last?.startsAt == 1_055_000)
        let long = ScheduleBuilder.items(for: [occurrence(intro: 1, outro: 5, playlist: 9)], entries: [9: [.init(trackID: 3)]], tracks: tracks)
        #expect(long.map(\.trackID) == [1, 5])
        #expect(long.last?.startsAt == 1_002_000 && long.last?.endsAt == 1_060_000)
        // A track the station may not air (not in `tracks`) is left out.
        let missing = ScheduleBuilder.items(for: [occurrence(intro: 99, outro: 98, playlist: 9)], entries: [9: [.init(trackID: 3)]], tracks: tracks)
        #expect(missing.map(\.trackID) == [3] && missing[0].startsAt == 1_000_000)
    }

    /// A playlist entry's own fades go with it into the schedule and on to the engine's item,
    /// in a show as in the rotation.
    @Test func entryFadesReachThePlayout() {
        let entry = RadioPlaylists.Entry(trackID: 3, cueInMs: 1_000, cueOutMs: nil, fadeInMs: 2_500, fadeOutMs: 0)
        let items = ScheduleBuilder.items(for: [occurrence(intro: nil, outro: nil, playlist: 9)], entries: [9: [entry]], tracks: tracks)
        #expect(items.map(\.fadeInMs) == [2_500] && items.map(\.fadeOutMs) == [0])
        let window = ScheduleWindow.Item(
            showID: 7, showTitle: "S", occurrenceStart: 0, occurrenceEnd: 60_000, startsAt: 0, endsAt: 39_000, cueInMs: 1_000, cueOutMs: nil,
            trackID: 3, title: "T3", artist: "A", durationMs: 40_000, path: "/x", fadeInMs: items[0].fadeInMs, fadeOutMs: items[0].fadeOutMs)
        let aired = window.playoutItem()
        #expect(aired.fadeInMs == 2_500 && aired.fadeOutMs == 0 && aired.startMs == 1_000)
        let rotated = entry.playoutItem(of: track(3, seconds: 40))
        #expect(rotated.fadeInMs == 2_500 && rotated.fadeOutMs == 0 && rotated.startMs == 1_000)
    }
}

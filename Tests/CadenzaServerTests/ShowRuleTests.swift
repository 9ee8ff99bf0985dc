import Foundation
import Testing

@testable import CadenzaServer

/// Show recurrence in the station's wall time, expanded to UTC: DST gaps and overlaps, strides,
/// monthly rules and the overlap check.
@Suite struct ShowRuleTests {
    let berlin = TimeZone(identifier: "Europe/Berlin")!
    let newYork = TimeZone(identifier: "America/New_York")!

    func day(_ y: Int64, _ m: Int64, _ d: Int64) -> Int64 { LocalCalendar.dayNumber(year: y, month: m, day: d) }

    /// Milliseconds of a UTC instant written as y-m-d h:m.
    func utc(_ y: Int64, _ m: Int64, _ d: Int64, _ h: Int64, _ min: Int64 = 0) -> Int64 {
        (day(y, m, d) * 86_400 + h * 3_600 + min * 60) * 1000
    }

    func rule(
        _ frequency: ShowRule.Frequency, from start: Int64, at second: Int, minutes: Int = 60, every: Int = 1,
        weekdays: [Int] = [], monthlyBy: ShowRule.MonthlyBy = .date, until: Int64? = nil
    ) -> ShowRule {
        ShowRule(
            startDay: start, startSecond: second, durationMinutes: minutes, frequency: frequency, interval: every, weekdays: weekdays,
            monthlyBy: monthlyBy, untilDay: until)
    }

    /// A weekly show at 02:30 on Sundays: on the spring-forward Sunday 02:30 does not exist and
    /// the show airs at 03:30 (the offset before the gap, RFC 5545); the week after it is back at 02:30.
    @Test func theSpringForwardGapMovesTheStartOnByTheGap() {
        let show = rule(.weekly, from: day(2027, 3, 21), at: 9_000)
        let got = show.occurrences(from: utc(2027, 3, 20, 0), to: utc(2027, 4, 6, 0), zone: berlin)
        #expect(got.map(\.start) == [utc(2027, 3, 21, 1, 30), utc(2027, 3, 28, 1, 30), utc(2027, 4, 4, 0, 30)])
        // The hour from 03:30 to 04:30 local: still an hour long.
        #expect(got[1].end - got[1].start == 3_600_000)
    }

    /// 02:30 on the fall-back night happens twice: the show airs at the first one, once.
    @Test func theFallBackOverlapTakesTheFirstOfTheTwo() {
        let show = rule(.daily, from: day(2027, 10, 30), at: 9_000, minutes: 30)
        let got = show.occurrences(from: utc(2027, 10, 29, 0), to: utc(2027, 11, 2, 0), zone: berlin)
        #expect(got.map(\.start) == [utc(2027, 10, 30, 0, 30), utc(2027, 10, 31, 0, 30), utc(2027, 11, 1, 1, 30)])
        // A show through the repeated hour ends at its wall-clock end: 01:00 to 04:00 lasts four hours that night.
        let night = rule(.once, from: day(2027, 10, 31), at: 3_600, minutes: 180)
        let long = night.occurrences(from: utc(2027, 10, 30, 0), to: utc(2027, 11, 1, 0), zone: berlin)
        #expect(long.map(\.start) == [utc(2027, 10, 30, 23)])
        #expect(long.map(\.end) == [utc(2027, 10, 31, 3)])
    }

    /// "Every morning at 8" stays at 8 local time: its UTC instant moves by the DST change.
    @Test func wallTimeHoldsAcrossTheChange() {
        let show = rule(.daily, from: day(2027, 3, 12), at: 8 * 3_600)
        let got = show.occurrences(from: utc(2027, 3, 13, 0), to: utc(2027, 3, 16, 0), zone: newYork)
        #expect(got.map(\.start) == [utc(2027, 3, 13, 13), utc(2027, 3, 14, 12), utc(2027, 3, 15, 12)])
    }

    @Test func everyOtherWeekOnChosenDays() {
        // 2027-01-04 is a Monday; Monday and Wednesday (0 and 2), every second week, until 2027-02-01.
        let show = rule(.weekly, from: day(2027, 1, 4), at: 0, every: 2, weekdays: [0, 2], until: day(2027, 2, 1))
        let got = show.occurrences(from: utc(2027, 1, 1, 0), to: utc(2027, 3, 1, 0), zone: .gmt).map(\.day)
        #expect(got == [day(2027, 1, 4), day(2027, 1, 6), day(2027, 1, 18), day(2027, 1, 20), day(2027, 2, 1)])
    }

    @Test func monthlyByDateNthWeekdayAndLastWeekday() {
        // The 31st: months without one are skipped.
        let byDate = rule(.monthly, from: day(2027, 1, 31), at: 0)
        #expect(
            byDate.occurrences(from: utc(2027, 1, 1, 0), to: utc(2027, 6, 1, 0), zone: .gmt).map(\.day) == [
                day(2027, 1, 31), day(2027, 3, 31), day(2027, 5, 31),
            ])
        // 2027-01-12 is the second Tuesday of January.
        let second = rule(.monthly, from: day(2027, 1, 12), at: 0, monthlyBy: .weekday)
        #expect(
            second.occurrences(from: utc(2027, 1, 1, 0), to: utc(2027, 4, 1, 0), zone: .gmt).map(\.day) == [
                day(2027, 1, 12), day(2027, 2, 9), day(2027, 3, 9),
            ])
        // 2027-01-29 is the last Friday of January; every second month.
        let last = rule(.monthly, from: day(2027, 1, 29), at: 0, every: 2, monthlyBy: .lastWeekday)
        #expect(
            last.occurrences(from: utc(2027, 1, 1, 0), to: utc(2027, 6, 1, 0), zone: .gmt).map(\.day) == [
                day(2027, 1, 29), day(2027, 3, 26), day(2027, 5, 28),
            ])
    }

    /// An occurrence that began before the range but is still on is part of it.
    @Test func anOccurrenceUnderWayIsIncluded() {
        let show = rule(.once, from: day(2027, 5, 1), at: 23 * 3_600, minutes: 120)
        #expect(show.occurrences(from: utc(2027, 5, 2, 0), to: utc(2027, 5, 2, 1), zone: .gmt).count == 1)
        #expect(show.occurrences(from: utc(2027, 5, 2, 1), to: utc(2027, 5, 2, 2), zone: .gmt).isEmpty)
    }

    /// Two shows that touch do not overlap; one that starts before the other ends does; a
    /// cancelled occurrence does not count, and a moved one counts where it moved to.
    @Test func overlapsAreFoundAfterExceptions() {
        func show(_ id: Int64, _ rule: ShowRule) -> ShowRecord {
            ShowRecord(id: id, stationID: 1, title: "S\(id)", hosts: [], description: "", playlistID: nil, rule: rule)
        }
        let morning = show(1, rule(.daily, from: day(2027, 1, 1), at: 8 * 3_600, minutes: 60))
        let next = show(2, rule(.daily, from: day(2027, 1, 1), at: 9 * 3_600, minutes: 60))
        let clash = show(3, rule(.once, from: day(2027, 1, 3), at: 9 * 3_600 + 1_800, minutes: 60))
        let range = (utc(2027, 1, 1, 0), utc(2027, 1, 10, 0))
        #expect(Shows.firstOverlap(Shows.plan([morning, next], exceptions: [:], from: range.0, to: range.1, zone: .gmt)) == nil)
        let found = Shows.firstOverlap(Shows.plan([morning, next, clash], exceptions: [:], from: range.0, to: range.1, zone: .gmt))
        #expect(found.map { [$0.0.show.id, $0.1.show.id] } == [2, 3])
        let cancelled = [Int64(2): [day(2027, 1, 3): ShowException(day: day(2027, 1, 3), cancelled: true)]]
        #expect(Shows.firstOverlap(Shows.plan([morning, next, clash], exceptions: cancelled, from: range.0, to: range.1, zone: .gmt)) == nil)
        let moved = [
            Int64(3): [day(2027, 1, 3): ShowException(day: day(2027, 1, 3), cancelled: false, movedDay: day(2027, 1, 3), movedSecond: 10 * 3_600)]
        ]
        #expect(Shows.firstOverlap(Shows.plan([morning, next, clash], exceptions: moved, from: range.0, to: range.1, zone: .gmt)) == nil)
    }

    /// Checking one show looks only at its own clashes: an old clash between two others does
    /// not block it, and its clash with a show that starts before it is found too.
    @Test func overlapsInvolvingOneShow() {
        func show(_ id: Int64, _ rule: ShowRule) -> ShowRecord {
            ShowRecord(id: id, stationID: 1, title: "S\(id)", hosts: [], description: "", playlistID: nil, rule: rule)
        }
        let a = show(1, rule(.daily, from: day(2027, 1, 1), at: 8 * 3_600, minutes: 120))
        let b = show(2, rule(.once, from: day(2027, 1, 2), at: 9 * 3_600, minutes: 60))
        let quiet = show(3, rule(.daily, from: day(2027, 1, 1), at: 20 * 3_600, minutes: 60))
        let late = show(4, rule(.once, from: day(2027, 1, 5), at: 20 * 3_600 + 1_800, minutes: 60))
        let plan = Shows.plan([a, b, quiet, late], exceptions: [:], from: utc(2027, 1, 1, 0), to: utc(2027, 1, 10, 0), zone: .gmt)
        #expect(Shows.firstOverlap(plan).map { [$0.0.show.id, $0.1.show.id] } == [1, 2])
        let found = Shows.firstOverlap(plan, involving: 4)
        #expect(found.map { [$0.0.show.id, $0.1.show.id] } == [3, 4])
        #expect(found?.0.day == day(2027, 1, 5))
        let calm = Shows.plan([a, b, quiet], exceptions: [:], from: utc(2027, 1, 1, 0), to: utc(2027, 1, 10, 0), zone: .gmt)
        #expect(Shows.firstOverlap(calm, involving: 3) == nil)
    }
}

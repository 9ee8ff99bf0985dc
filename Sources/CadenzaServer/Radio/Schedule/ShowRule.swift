import Foundation

/// When a show airs: its first local date and time in the station's zone, its length, and how
/// it repeats. Stored as wall time so that a show "at 8 on Mondays" stays at 8 across DST.
struct ShowRule: Codable, Sendable, Equatable {
    enum Frequency: String, Codable, Sendable, CaseIterable {
        case once, daily, weekly, monthly
    }

    /// For a monthly show: the same date each month (months without it are skipped, as in
    /// RFC 5545), the same nth weekday (the 2nd Tuesday), or the last such weekday.
    enum MonthlyBy: String, Codable, Sendable, CaseIterable {
        case date, weekday, lastWeekday
    }

    /// Days since 1970-01-01 of the first occurrence (local date).
    var startDay: Int64
    /// Seconds after local midnight the show starts.
    var startSecond: Int
    var durationMinutes: Int
    var frequency: Frequency
    /// Every `interval` days, weeks or months (1 to 4 weeks, as the station calendar offers).
    var interval: Int
    /// 0 = Monday … 6 = Sunday, for weekly shows (empty: the start date's weekday).
    var weekdays: [Int]
    var monthlyBy: MonthlyBy
    /// The last local date an occurrence may fall on (nil: no end).
    var untilDay: Int64?

    static let maxDurationMinutes = 24 * 60

    /// One airing: its local date (the key exceptions use) and its UTC instants in milliseconds.
    struct Occurrence: Sendable, Equatable {
        var day: Int64
        var start: Int64
        var end: Int64
    }

    /// The occurrences that overlap [from, to) (milliseconds), in order.
    func occurrences(from: Int64, to: Int64, zone: TimeZone) -> [Occurrence] {
        guard from < to else { return [] }
        // Local days that can hold a start inside the range: a day's margin either side covers
        // any UTC offset, and the show's length reaches back from `from`.
        let firstDay = max(startDay, LocalCalendar.floorDiv(from, 86_400_000) - 2 - Int64(durationMinutes / 1_440))
        let lastDay = min(untilDay ?? Int64.max, LocalCalendar.floorDiv(to, 86_400_000) + 2)
        guard firstDay <= lastDay else { return [] }
        var result: [Occurrence] = []
        for day in days(from: firstDay, through: lastDay) {
            let occurrence = Self.occurrence(day: day, second: startSecond, minutes: durationMinutes, zone: zone)
            if occurrence.end > from && occurrence.start < to { result.append(occurrence) }
        }
        return result
    }

    /// The instants of a show on local `day` at `second`, lasting `minutes` of wall time.
    static func occurrence(day: Int64, second: Int, minutes: Int, zone: TimeZone) -> Occurrence {
        let start = instant(localSeconds: day * 86_400 + Int64(second), zone: zone)
        var end = instant(localSeconds: day * 86_400 + Int64(second) + Int64(minutes) * 60, zone: zone)
        // A show that starts in a spring-forward gap moves with its start; it never shrinks to nothing.
        if end <= start { end = start + Int64(minutes) * 60 }
        return Occurrence(day: day, start: start * 1000, end: end * 1000)
    }

    /// The UTC second of a local wall time. In a spring-forward gap the offset before the gap
    /// applies (02:30 becomes 03:30); in a fall-back overlap, the first of the two (RFC 5545).
    static func instant(localSeconds local: Int64, zone: TimeZone) -> Int64 {
        let before = Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(local - 43_200))))
        let after = Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(local + 43_200))))
        let valid = [local - before, local - after].filter {
            Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval($0)))) == local - $0
        }
        return valid.min() ?? local - before
    }

    /// The local days in [first, last] the rule airs on.
    private func days(from first: Int64, through last: Int64) -> [Int64] {
        let step = Int64(max(1, interval))
        switch frequency {
        case .once:
            return (first...last).contains(startDay) ? [startDay] : []
        case .daily:
            // The first day on the rule's stride at or after `first`.
            let offset = first - startDay
            let begin = startDay + (offset + step - 1) / step * step
            return begin > last ? [] : Array(stride(from: begin, through: last, by: Int(step)))
        case .weekly:
            let chosen = Set(weekdays.isEmpty ? [LocalCalendar.weekday(ofDay: startDay)] : weekdays)
            let startMonday = startDay - Int64(LocalCalendar.weekday(ofDay: startDay))
            return (first...last).filter { day in
                let week = LocalCalendar.floorDiv(day - startMonday, 7)
                return day >= startDay && week % step == 0 && chosen.contains(LocalCalendar.weekday(ofDay: day))
            }
        case .monthly:
            let start = LocalCalendar.civil(startDay)
            let startMonth = start.year * 12 + start.month - 1
            let weekday = LocalCalendar.weekday(ofDay: startDay)
            let nth = (start.day - 1) / 7
            var result: [Int64] = []
            var month = LocalCalendar.monthNumber(ofDay: first)
            while LocalCalendar.firstDay(ofMonth: month) <= last {
                defer { month += 1 }
                guard month >= startMonth, (month - startMonth) % step == 0 else { continue }
                let firstOfMonth = LocalCalendar.firstDay(ofMonth: month)
                let length = LocalCalendar.firstDay(ofMonth: month + 1) - firstOfMonth
                let day: Int64?
                switch monthlyBy {
                case .date:
                    day = start.day <= length ? firstOfMonth + start.day - 1 : nil
                case .weekday:
                    let firstMatch = firstOfMonth + Int64((weekday - LocalCalendar.weekday(ofDay: firstOfMonth) + 7) % 7)
                    let candidate = firstMatch + nth * 7
                    day = candidate < firstOfMonth + length ? candidate : nil
                case .lastWeekday:
                    let lastOfMonth = firstOfMonth + length - 1
                    day = lastOfMonth - Int64((LocalCalendar.weekday(ofDay: lastOfMonth) - weekday + 7) % 7)
                }
                if let day, day >= startDay, day >= first, day <= last { result.append(day) }
            }
            return result
        }
    }
}

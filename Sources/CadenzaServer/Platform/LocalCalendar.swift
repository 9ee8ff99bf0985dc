import CadenzaFormats
import Foundation

/// Local day, hour and month numbers in one user's time zone (DST included), as integers the
/// rollup tables are keyed by: days and hours since 1970-01-01 local time, months as year*12+m-1.
struct LocalCalendar: Sendable {
    let timeZone: TimeZone

    init(identifier: String) {
        timeZone = TimeZone(identifier: identifier) ?? TimeZone(identifier: "UTC") ?? .current
    }

    func offset(_ ts: Int64) -> Int64 {
        Int64(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(ts))))
    }

    func localSeconds(_ ts: Int64) -> Int64 { ts + offset(ts) }
    func hour(_ ts: Int64) -> Int64 { Self.floorDiv(localSeconds(ts), 3600) }
    func day(_ ts: Int64) -> Int64 { Self.floorDiv(localSeconds(ts), 86_400) }

    /// The UTC instant at which local day `day` begins.
    func start(ofDay day: Int64) -> Int64 {
        let guess = day * 86_400
        // Two passes settle the offset across a DST change.
        let first = guess - offset(guess)
        return guess - offset(first)
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { CivilDate.floorDiv(a, b) }

    /// (year, month 1-12, day 1-31) of a day number (days since 1970-01-01).
    static func civil(_ day: Int64) -> (year: Int64, month: Int64, day: Int64) { CivilDate.civil(day) }

    /// The day number of a civil date.
    static func dayNumber(year: Int64, month: Int64, day: Int64) -> Int64 { CivilDate.dayNumber(year: year, month: month, day: day) }

    static func monthNumber(ofDay day: Int64) -> Int64 {
        let c = civil(day)
        return c.year * 12 + c.month - 1
    }

    static func firstDay(ofMonth month: Int64) -> Int64 {
        dayNumber(year: floorDiv(month, 12), month: month - floorDiv(month, 12) * 12 + 1, day: 1)
    }

    /// 0 = Monday … 6 = Sunday (1970-01-01 was a Thursday).
    static func weekday(ofDay day: Int64) -> Int {
        Int(((day % 7) + 7 + 3) % 7)
    }
}

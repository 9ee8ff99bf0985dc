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

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        a >= 0 ? a / b : -((-a + b - 1) / b)
    }

    /// (year, month 1-12, day 1-31) of a day number (days since 1970-01-01).
    static func civil(_ day: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = day + 719_468
        let era = floorDiv(z, 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    /// The day number of a civil date.
    static func dayNumber(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = floorDiv(y, 400)
        let yoe = y - era * 400
        let mp = month > 2 ? month - 3 : month + 9
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

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

/// ListenBrainz's stats ranges, in the user's local calendar: `this_*` run from the start of
/// the current period to now, the others are the previous whole period.
enum StatsRange: String, CaseIterable, Sendable {
    case thisWeek = "this_week", thisMonth = "this_month", thisYear = "this_year"
    case week, month, quarter, year
    case halfYearly = "half_yearly", allTime = "all_time"

    /// [fromDay, toDay) in local day numbers; nil for all time.
    func days(today: Int64) -> (from: Int64, to: Int64)? {
        let c = LocalCalendar.civil(today)
        let monday = today - Int64(LocalCalendar.weekday(ofDay: today))
        let thisMonth = c.year * 12 + c.month - 1
        func monthStart(_ m: Int64) -> Int64 { LocalCalendar.firstDay(ofMonth: m) }
        switch self {
        case .thisWeek: return (monday, today + 1)
        case .thisMonth: return (monthStart(thisMonth), today + 1)
        case .thisYear: return (monthStart(c.year * 12), today + 1)
        case .week: return (monday - 7, monday)
        case .month: return (monthStart(thisMonth - 1), monthStart(thisMonth))
        case .quarter:
            let start = c.year * 12 + (c.month - 1) / 3 * 3
            return (monthStart(start - 3), monthStart(start))
        case .halfYearly:
            let start = c.year * 12 + (c.month - 1) / 6 * 6
            return (monthStart(start - 6), monthStart(start))
        case .year: return (monthStart((c.year - 1) * 12), monthStart(c.year * 12))
        case .allTime: return nil
        }
    }

    /// The buckets listening-activity reports this range in.
    enum Bucket { case day, month, year }

    var bucket: Bucket {
        switch self {
        case .thisWeek, .week, .thisMonth, .month: return .day
        case .quarter, .halfYearly, .thisYear, .year: return .month
        case .allTime: return .year
        }
    }

    /// listening-activity shows the range and the period before it, for comparison.
    func activityDays(today: Int64) -> (from: Int64, to: Int64)? {
        guard let (from, to) = days(today: today) else { return nil }
        switch self {
        case .thisWeek, .week: return (from - 7, to)
        case .thisMonth, .month:
            let c = LocalCalendar.civil(from)
            return (LocalCalendar.firstDay(ofMonth: c.year * 12 + c.month - 2), to)
        case .thisYear, .year:
            let c = LocalCalendar.civil(from)
            return (LocalCalendar.firstDay(ofMonth: (c.year - 1) * 12), to)
        case .quarter: return (LocalCalendar.firstDay(ofMonth: LocalCalendar.monthNumber(ofDay: from) - 3), to)
        case .halfYearly: return (LocalCalendar.firstDay(ofMonth: LocalCalendar.monthNumber(ofDay: from) - 6), to)
        case .allTime: return nil
        }
    }
}

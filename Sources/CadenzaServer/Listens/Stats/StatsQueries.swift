import Foundation
import SQLKit

/// Stats answered from the rollups: whole months from the month table, the rest from the day
/// table, all time from the totals.
enum StatsQueries {
    struct Ranked: Sendable {
        var entityID: Int64
        var count: Int64
    }

    /// Top entities of one kind over a range, and how many distinct entities the range has.
    static func top(
        kind: StatsRollup.Kind, userID: Int64, range: StatsRange, today: Int64, count: Int, offset: Int,
        on db: any SQLDatabase
    ) async throws -> (entries: [Ranked], total: Int) {
        guard let (from, to) = range.days(today: today) else {
            let rows = try await db.raw(
                """
                SELECT entity_id, count FROM listen_entity_totals WHERE user_id = \(bind: userID) AND kind = \(bind: kind.rawValue)
                ORDER BY count DESC, entity_id DESC LIMIT \(bind: count) OFFSET \(bind: offset)
                """
            ).all()
            let total =
                try await db.raw(
                    """
                    SELECT COUNT(*) AS n FROM listen_entity_totals WHERE user_id = \(bind: userID) AND kind = \(bind: kind.rawValue)
                    """
                ).first()?.decode(column: "n", as: Int.self) ?? 0
            return (
                try rows.map {
                    Ranked(entityID: try $0.decode(column: "entity_id", as: Int64.self), count: try $0.decode(column: "count", as: Int64.self))
                }, total
            )
        }
        let source = sources(userID: userID, kind: kind, from: from, to: to)
        let rows = try await db.raw(
            """
            SELECT entity_id, CAST(SUM(count) AS BIGINT) AS n, COUNT(*) OVER () AS total FROM (\(source)) x
            GROUP BY entity_id ORDER BY n DESC, entity_id DESC LIMIT \(bind: count) OFFSET \(bind: offset)
            """
        ).all()
        var total = try rows.first?.decode(column: "total", as: Int.self) ?? 0
        if rows.isEmpty, offset > 0 {
            total = try await db.raw("SELECT COUNT(DISTINCT entity_id) AS n FROM (\(source)) x").first()?.decode(column: "n", as: Int.self) ?? 0
        }
        return (
            try rows.map { Ranked(entityID: try $0.decode(column: "entity_id", as: Int64.self), count: try $0.decode(column: "n", as: Int64.self)) },
            total
        )
    }

    /// The rollup rows covering local days [from, to): whole years from the year table, whole
    /// months from the month table and the partial months at either end from the day table.
    static func sources(userID: Int64, kind: StatsRollup.Kind, from: Int64, to: Int64) -> SQLQueryString {
        let fromYear = LocalCalendar.civil(from).year
        let firstFullYear = LocalCalendar.dayNumber(year: fromYear, month: 1, day: 1) == from ? fromYear : fromYear + 1
        let endFullYear = LocalCalendar.civil(to).year
        guard firstFullYear < endFullYear else { return monthSources(userID: userID, kind: kind, from: from, to: to) }
        let yearRows: SQLQueryString = """
            SELECT entity_id, count FROM listen_entity_years
            WHERE user_id = \(bind: userID) AND kind = \(bind: kind.rawValue) AND year >= \(bind: firstFullYear) AND year < \(bind: endFullYear)
            """
        let head = monthSources(userID: userID, kind: kind, from: from, to: LocalCalendar.dayNumber(year: firstFullYear, month: 1, day: 1))
        let tail = monthSources(userID: userID, kind: kind, from: LocalCalendar.dayNumber(year: endFullYear, month: 1, day: 1), to: to)
        return "\(yearRows) UNION ALL \(head) UNION ALL \(tail)"
    }

    static func monthSources(userID: Int64, kind: StatsRollup.Kind, from: Int64, to: Int64) -> SQLQueryString {
        let firstFull =
            LocalCalendar.firstDay(ofMonth: LocalCalendar.monthNumber(ofDay: from)) == from
            ? LocalCalendar.monthNumber(ofDay: from) : LocalCalendar.monthNumber(ofDay: from) + 1
        let endFull = LocalCalendar.monthNumber(ofDay: to)
        func days(_ a: Int64, _ b: Int64) -> SQLQueryString {
            """
            SELECT entity_id, count FROM listen_entity_days
            WHERE user_id = \(bind: userID) AND kind = \(bind: kind.rawValue) AND day >= \(bind: a) AND day < \(bind: b)
            """
        }
        guard firstFull < endFull else { return days(from, to) }
        let monthRows: SQLQueryString = """
            SELECT entity_id, count FROM listen_entity_months
            WHERE user_id = \(bind: userID) AND kind = \(bind: kind.rawValue) AND month >= \(bind: firstFull) AND month < \(bind: endFull)
            """
        let head = days(from, LocalCalendar.firstDay(ofMonth: firstFull))
        let tail = days(LocalCalendar.firstDay(ofMonth: endFull), to)
        return "\(monthRows) UNION ALL \(head) UNION ALL \(tail)"
    }

    /// Listen counts per local day in [from, to) (all days when nil).
    static func dailyCounts(userID: Int64, days: (from: Int64, to: Int64)?, on db: any SQLDatabase) async throws -> [Int64: Int64] {
        let (from, to) = days ?? (Int64.min / 48, Int64.max / 48)
        var result: [Int64: Int64] = [:]
        for row in try await db.raw(
            """
            SELECT hour / 24 AS day, CAST(SUM(count) AS BIGINT) AS n FROM listen_hours
            WHERE user_id = \(bind: userID) AND hour >= \(bind: from * 24) AND hour < \(bind: to * 24)
            GROUP BY hour / 24
            """
        ).all() {
            result[try row.decode(column: "day", as: Int64.self)] = try row.decode(column: "n", as: Int64.self)
        }
        return result
    }

    /// Listen counts by (weekday 0 = Monday, hour of day) over local days [from, to).
    static func hourly(userID: Int64, days: (from: Int64, to: Int64)?, on db: any SQLDatabase) async throws -> [[Int64]] {
        let (from, to) = days ?? (Int64.min / 48, Int64.max / 48)
        var grid = Array(repeating: Array(repeating: Int64(0), count: 24), count: 7)
        // Local hours are positive (listens start in 2002), so plain % is the floor modulo here.
        for row in try await db.raw(
            """
            SELECT (hour / 24 + 3) % 7 AS weekday, hour % 24 AS hour_of_day, CAST(SUM(count) AS BIGINT) AS n FROM listen_hours
            WHERE user_id = \(bind: userID) AND hour >= \(bind: from * 24) AND hour < \(bind: to * 24)
            GROUP BY (hour / 24 + 3) % 7, hour % 24
            """
        ).all() {
            let weekday = try row.decode(column: "weekday", as: Int.self), hour = try row.decode(column: "hour_of_day", as: Int.self)
            guard (0..<7).contains(weekday), (0..<24).contains(hour) else { continue }
            grid[weekday][hour] += try row.decode(column: "n", as: Int64.self)
        }
        return grid
    }
}

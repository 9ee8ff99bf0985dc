import Foundation
import SQLKit
import Vapor

/// `/1/stats/user/<name>/…`: top artists, releases, release groups and recordings, listening
/// activity and daily (weekday × hour) activity, in the user's time zone. Always current: the
/// rollups are updated with every listen, so there is never a "not computed yet".
enum ListenBrainzStats {
    @Sendable static func handle(req: Request) async throws -> Response {
        let owner = try await ListenBrainzAuth.readable(req, viewer: try await ListenBrainzAuth.optional(req))
        let rawRange = req.query[String.self, at: "range"] ?? "all_time"
        guard let range = StatsRange(rawValue: rawRange) else { throw ListenBrainzError.bad("Invalid range: \(rawRange)") }
        let now = Clock.nowMillis() / 1000
        let calendar = owner.calendar
        let today = calendar.day(now)
        let entity = req.parameters.get("entity") ?? ""
        var payload: [String: JSONValue] = [
            "user_id": .string(owner.username), "range": .string(range.rawValue), "last_updated": .number(Double(now)),
        ]
        let bounds = try await ListenQueries.bounds(userID: owner.userID, on: req.sql)
        if let days = range.days(today: today) {
            payload["from_ts"] = .number(Double(calendar.start(ofDay: days.from)))
            payload["to_ts"] = .number(Double(min(now, calendar.start(ofDay: days.to))))
        } else {
            payload["from_ts"] = .number(Double(bounds.oldest ?? 0))
            payload["to_ts"] = .number(Double(bounds.latest ?? 0))
        }
        switch entity {
        case "listening-activity":
            payload["listening_activity"] = .array(
                try await activity(
                    owner: owner, range: range, today: today, oldest: bounds.oldest,
                    on: req.sql))
        case "daily-activity":
            let grid = try await StatsQueries.hourly(userID: owner.userID, days: range.days(today: today), on: req.sql)
            let names = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
            var days: [String: JSONValue] = [:]
            for (index, name) in names.enumerated() {
                days[name] = .array(
                    (0..<24).map { hour in
                        .object(["hour": .number(Double(hour)), "listen_count": .number(Double(grid[index][hour]))])
                    })
            }
            payload["daily_activity"] = .object(days)
        default:
            guard let kind = StatsEntities.kind(path: entity) else {
                throw ListenBrainzError.notFound("The requested URL was not found on the server.")
            }
            let count = Int(min(try ListenBrainzController.nonNegative(req, "count") ?? 25, 1000))
            let offset = Int(min(try ListenBrainzController.nonNegative(req, "offset") ?? 0, 1_000_000_000))
            let (ranked, total) = try await StatsQueries.top(
                kind: kind, userID: owner.userID, range: range, today: today,
                count: count, offset: offset, on: req.sql)
            let keys = StatsEntities.keys(kind)
            payload[keys.list] = .array(try await StatsEntities.describe(ranked, kind: kind, on: req.sql))
            payload[keys.total] = .number(Double(total))
            payload["count"] = .number(Double(ranked.count))
            payload["offset"] = .number(Double(offset))
        }
        return ListenBrainzMiddleware.jsonResponse(["payload": JSONValue.object(payload)])
    }

    /// Listen counts per day, month or year over the range and the period before it.
    static func activity(
        owner: ListenOwner, range: StatsRange, today: Int64, oldest: Int64?,
        on db: any SQLDatabase
    ) async throws -> [JSONValue] {
        let calendar = owner.calendar
        let span = range.activityDays(today: today)
        let counts = try await StatsQueries.dailyCounts(userID: owner.userID, days: span, on: db)
        var buckets: [(from: Int64, to: Int64, label: String)] = []
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        switch range.bucket {
        case .day:
            guard let span else { break }
            formatter.dateFormat = "EEEE dd MMMM yyyy"
            for day in span.from..<span.to {
                buckets.append((day, day + 1, formatter.string(from: Date(timeIntervalSince1970: Double(day * 86_400)))))
            }
        case .month:
            guard let span else { break }
            formatter.dateFormat = "MMMM yyyy"
            var month = LocalCalendar.monthNumber(ofDay: span.from)
            while LocalCalendar.firstDay(ofMonth: month) < span.to {
                let start = LocalCalendar.firstDay(ofMonth: month)
                buckets.append(
                    (
                        start, LocalCalendar.firstDay(ofMonth: month + 1),
                        formatter.string(from: Date(timeIntervalSince1970: Double(start * 86_400)))
                    ))
                month += 1
            }
        case .year:
            let firstYear = oldest.map { LocalCalendar.civil(calendar.day($0)).year } ?? LocalCalendar.civil(today).year
            for year in firstYear...max(firstYear, LocalCalendar.civil(today).year) {
                buckets.append(
                    (
                        LocalCalendar.dayNumber(year: year, month: 1, day: 1),
                        LocalCalendar.dayNumber(year: year + 1, month: 1, day: 1), String(year)
                    ))
            }
        }
        let sortedDays = counts.keys.sorted()
        return buckets.map { bucket in
            var total: Int64 = 0
            if bucket.to - bucket.from <= 31 {
                for day in bucket.from..<bucket.to { total += counts[day] ?? 0 }
            } else {
                for day in sortedDays where day >= bucket.from && day < bucket.to { total += counts[day] ?? 0 }
            }
            return .object([
                "from_ts": .number(Double(calendar.start(ofDay: bucket.from))),
                "to_ts": .number(Double(calendar.start(ofDay: bucket.to) - 1)),
                "time_range": .string(bucket.label),
                "listen_count": .number(Double(total)),
            ])
        }
    }
}

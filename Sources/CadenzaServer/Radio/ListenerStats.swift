import Foundation
import SQLKit
import Vapor

/// Listener counts sampled by each station's playout (`station_listener_samples`): how many
/// listened per output at each sample and the most at once since the one before; listening
/// minutes per day and peaks are read from them.
enum ListenerStats {
    struct Sample: Sendable, Codable {
        var output: String
        var at: Int64
        var seconds: Int
        var listeners: Int
        var peak: Int
    }

    static func write(_ sample: Sample, stationID: Int64, on db: any SQLDatabase) async throws {
        try await db.raw(
            """
            INSERT INTO station_listener_samples (station_id, output, sampled_at, seconds, listeners, peak)
            VALUES (\(bind: stationID), \(bind: sample.output), \(bind: sample.at), \(bind: sample.seconds), \(bind: sample.listeners), \(bind: sample.peak))
            ON CONFLICT DO NOTHING
            """
        ).run()
    }

    struct Day: Content {
        /// The station's local date (its time zone).
        var day: String
        var listeningMinutes: Double
        var peakListeners: Int
    }

    /// The last `days` days in the station's time zone, oldest first, days without samples left out.
    static func days(stationID: Int64, timeZone: TimeZone, days: Int, now: Date, on db: any SQLDatabase) async throws -> [Day] {
        let since = Int64((now.timeIntervalSince1970 - Double(days) * 86_400) * 1000)
        let rows = try await db.raw(
            """
            SELECT sampled_at, seconds, listeners, peak FROM station_listener_samples
            WHERE station_id = \(bind: stationID) AND sampled_at >= \(bind: since) ORDER BY sampled_at
            """
        ).all()
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        var order: [String] = []
        var totals: [String: (minutes: Double, peak: Int)] = [:]
        for row in rows {
            let at = Clock.date(try row.decode(column: "sampled_at", as: Int64.self))
            let parts = calendar.dateComponents([.year, .month, .day], from: at)
            let day = String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
            if totals[day] == nil { order.append(day) }
            var total = totals[day] ?? (0, 0)
            // Each sample stands for the seconds since the one before, at its listener count.
            total.minutes += Double(try row.decode(column: "listeners", as: Int.self)) * Double(try row.decode(column: "seconds", as: Int.self)) / 60
            total.peak = max(total.peak, try row.decode(column: "peak", as: Int.self))
            totals[day] = total
        }
        return order.map { Day(day: $0, listeningMinutes: ((totals[$0]?.minutes ?? 0) * 10).rounded() / 10, peakListeners: totals[$0]?.peak ?? 0) }
    }
}

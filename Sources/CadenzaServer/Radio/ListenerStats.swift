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

    /// How many listeners used each player (User-Agent) at a sample, for the seconds since the one before.
    struct AgentSample: Sendable, Codable {
        struct Agent: Sendable, Codable {
            var agent: String
            var listeners: Int
        }

        var at: Int64
        var seconds: Int
        var agents: [Agent]
    }

    /// The most players one sample keeps (the rest are rare ones).
    static let maxAgentsPerSample = 50

    static func write(_ sample: AgentSample, stationID: Int64, on db: any SQLDatabase) async throws {
        let rows = sample.agents.prefix(maxAgentsPerSample).map { agent -> [SQLRowValue] in
            [.integer(stationID), .integer(sample.at), .text(agent.agent), .init(sample.seconds), .init(agent.listeners)]
        }
        try await db.insertRows(
            into: "station_listener_agents (station_id, sampled_at, agent, seconds, listeners)", values: Array(rows),
            suffix: "ON CONFLICT DO NOTHING")
    }

    /// Listeners per output and per player at the newest sample, if it was taken since `since`
    /// (for a station aired by another process: its playout writes them every sample).
    static func latest(
        stationID: Int64, since: Int64, on db: any SQLDatabase
    ) async throws -> (
        outputs: [String: Int], agents: [(agent: String, listeners: Int)]
    ) {
        let outputs = try await db.raw(
            """
            SELECT output, listeners FROM station_listener_samples WHERE station_id = \(bind: stationID) AND sampled_at >= \(bind: since)
              AND sampled_at = (SELECT MAX(sampled_at) FROM station_listener_samples WHERE station_id = \(bind: stationID))
            """
        ).all()
        let agents = try await db.raw(
            """
            SELECT agent, listeners FROM station_listener_agents WHERE station_id = \(bind: stationID) AND sampled_at >= \(bind: since)
              AND sampled_at = (SELECT MAX(sampled_at) FROM station_listener_samples WHERE station_id = \(bind: stationID))
            """
        ).all()
        var counts: [String: Int] = [:]
        for row in outputs { counts[try row.decode(column: "output", as: String.self)] = try row.decode(column: "listeners", as: Int.self) }
        return (
            counts,
            try agents.map { (try $0.decode(column: "agent", as: String.self), try $0.decode(column: "listeners", as: Int.self)) }
                .filter { $0.1 > 0 }
        )
    }

    struct Player: Content {
        var agent: String
        var listeningMinutes: Double
    }

    /// Listening minutes per player since `since`, most first (at most 20).
    static func players(stationID: Int64, since: Int64, on db: any SQLDatabase) async throws -> [Player] {
        try await db.raw(
            """
            SELECT agent, CAST(SUM(listeners * seconds) AS BIGINT) AS listened FROM station_listener_agents
            WHERE station_id = \(bind: stationID) AND sampled_at >= \(bind: since)
            GROUP BY agent ORDER BY listened DESC, agent LIMIT 20
            """
        ).all().map { row in
            Player(
                agent: try row.decode(column: "agent", as: String.self),
                listeningMinutes: (Double(try row.decode(column: "listened", as: Int64.self)) / 6).rounded() / 10)
        }
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
        // A sample's outputs are taken at one instant: listeners at once are their sum (the peaks'
        // sum bounds it from above: each output's most since the sample before).
        var atOnce: [Int64: Int] = [:]
        for row in rows { atOnce[try row.decode(column: "sampled_at", as: Int64.self), default: 0] += try row.decode(column: "peak", as: Int.self) }
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
            total.peak = max(total.peak, atOnce[try row.decode(column: "sampled_at", as: Int64.self)] ?? 0)
            totals[day] = total
        }
        return order.map { Day(day: $0, listeningMinutes: ((totals[$0]?.minutes ?? 0) * 10).rounded() / 10, peakListeners: totals[$0]?.peak ?? 0) }
    }
}

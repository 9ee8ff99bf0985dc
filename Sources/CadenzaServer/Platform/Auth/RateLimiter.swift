import SQLKit
import Vapor

/// Fixed-window counters in the database, so every api node sees the same count.
enum RateLimiter {
    struct Verdict: Sendable {
        var count: Int
        var retryAfter: Int
    }

    /// Adds one hit to `bucket` and returns the count in the current window.
    @discardableResult
    static func hit(_ bucket: String, window: TimeInterval, on db: any SQLDatabase) async throws -> Verdict {
        let now = Clock.nowMillis(), windowMillis = Int64(window * 1000)
        let start = now - now % windowMillis
        let row = try await WriteGate.run(on: db) {
            try await db.raw(
                """
                INSERT INTO rate_limits (bucket, window_start, count) VALUES (\(bind: bucket), \(bind: start), 1)
                ON CONFLICT (bucket, window_start) DO UPDATE SET count = rate_limits.count + 1
                RETURNING count
                """
            ).first()
        }
        let count = try row?.decode(column: "count", as: Int.self) ?? 1
        return Verdict(count: count, retryAfter: retryAfter(start: start, window: windowMillis, now: now))
    }

    /// The count so far in the current window, without adding to it.
    static func peek(_ bucket: String, window: TimeInterval, on db: any SQLDatabase) async throws -> Verdict {
        let now = Clock.nowMillis(), windowMillis = Int64(window * 1000)
        let start = now - now % windowMillis
        let row = try await db.raw(
            """
            SELECT count FROM rate_limits WHERE bucket = \(bind: bucket) AND window_start = \(bind: start)
            """
        ).first()
        let count = try row?.decode(column: "count", as: Int.self) ?? 0
        return Verdict(count: count, retryAfter: retryAfter(start: start, window: windowMillis, now: now))
    }

    /// Takes back one hit of the current window (never below zero).
    static func refund(_ bucket: String, window: TimeInterval, on db: any SQLDatabase) async throws {
        let now = Clock.nowMillis(), windowMillis = Int64(window * 1000)
        let start = now - now % windowMillis
        try await WriteGate.run(on: db) {
            try await db.raw(
                """
                UPDATE rate_limits SET count = count - 1 WHERE bucket = \(bind: bucket) AND window_start = \(bind: start) AND count > 0
                """
            ).run()
        }
    }

    static func deleteOld(before cutoff: Int64, on db: any SQLDatabase) async throws {
        try await db.delete(from: "rate_limits").where("window_start", .lessThan, cutoff).run()
    }

    private static func retryAfter(start: Int64, window: Int64, now: Int64) -> Int {
        max(1, Int((start + window - now + 999) / 1000))
    }
}

import NIOConcurrencyHelpers
import SQLKit
import Vapor

/// Fixed-window rate limits for high-volume APIs (the scrobbling protocols): counted in memory
/// and added to the shared `rate_limits` rows every ``flushInterval``, so a submit does not pay
/// for a write of its own. Each node decides from the shared count as of its last flush plus its
/// own hits since, so across api nodes a limit can be overshot by one interval's worth of
/// requests. Login limits, where that slack matters, stay on ``RateLimiter``.
final class BufferedRateLimiter: Sendable {
    static let flushInterval: Duration = .milliseconds(200)

    private struct Entry {
        var windowStart: Int64
        var shared: Int = 0
        var unflushed: Int = 0
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var flushScheduled = false
    }

    private let state = NIOLockedValueBox(State())

    func hit(_ bucket: String, window: TimeInterval, db: any SQLDatabase, logger: Logger) -> RateLimiter.Verdict {
        let now = Clock.nowMillis(), windowMillis = Int64(window * 1000)
        let start = now - now % windowMillis
        let (count, scheduleFlush) = state.withLockedValue { state -> (Int, Bool) in
            var entry = state.entries[bucket] ?? Entry(windowStart: start)
            if entry.windowStart != start { entry = Entry(windowStart: start) }
            entry.unflushed += 1
            state.entries[bucket] = entry
            let schedule = !state.flushScheduled
            state.flushScheduled = true
            return (entry.shared + entry.unflushed, schedule)
        }
        if scheduleFlush {
            Task {
                try? await Task.sleep(for: Self.flushInterval)
                do { try await self.flush(db: db, logger: logger) } catch {
                    logger.warning("rate-limit flush failed", metadata: ["error": .string("\(error)")])
                }
            }
        }
        let retry = max(1, Int((start + windowMillis - now + 999) / 1000))
        return RateLimiter.Verdict(count: count, retryAfter: retry)
    }

    /// Adds the hits counted since the last flush to the shared rows and learns their totals.
    /// Only one flush runs at a time (the scheduled flag stays set until it ends), so no hit is
    /// ever added twice however long the write waits for the database.
    func flush(db: any SQLDatabase, logger: Logger? = nil) async throws {
        let work = state.withLockedValue { state -> [(String, Int64, Int)] in
            let now = Clock.nowMillis()
            // Windows that have ended are of no further use in memory.
            state.entries = state.entries.filter { $0.value.unflushed > 0 || $0.value.windowStart > now - 3_600_000 }
            return state.entries.compactMap { bucket, entry in entry.unflushed > 0 ? (bucket, entry.windowStart, entry.unflushed) : nil }
        }
        var totals: [String: (Int64, Int)] = [:]
        do {
            if !work.isEmpty {
                totals = try await WriteGate.run(on: db) { () -> [String: (Int64, Int)] in
                    var totals: [String: (Int64, Int)] = [:]
                    for chunk in work.chunked(200) {
                        let rows = try await db.insertRows(
                            into: "rate_limits (bucket, window_start, count)",
                            rows: chunk.map { [SQLBind($0.0), SQLBind($0.1), SQLBind($0.2)] },
                            suffix:
                                "ON CONFLICT (bucket, window_start) DO UPDATE SET count = rate_limits.count + excluded.count RETURNING bucket, window_start, count"
                        )
                        for row in rows {
                            totals[try row.decode(column: "bucket", as: String.self)] =
                                (try row.decode(column: "window_start", as: Int64.self), try row.decode(column: "count", as: Int.self))
                        }
                    }
                    return totals
                }
            }
        } catch {
            state.withLockedValue { $0.flushScheduled = false }
            throw error
        }
        let flushed = Dictionary(work.map { ($0.0, ($0.1, $0.2)) }, uniquingKeysWith: { $1 })
        let more = state.withLockedValue { state -> Bool in
            for (bucket, (start, total)) in totals {
                guard var entry = state.entries[bucket], entry.windowStart == start else { continue }
                entry.unflushed -= flushed[bucket]?.1 ?? 0
                entry.shared = total
                state.entries[bucket] = entry
            }
            let more = state.entries.values.contains { $0.unflushed > 0 }
            state.flushScheduled = more
            return more
        }
        if more {
            Task {
                try? await Task.sleep(for: Self.flushInterval)
                do { try await self.flush(db: db, logger: logger) } catch {
                    logger?.warning("rate-limit flush failed", metadata: ["error": .string("\(error)")])
                }
            }
        }
    }
}

extension Application {
    /// The process's buffered rate limiter (provided by the feature that rate-limits with it).
    var bufferedRateLimiter: BufferedRateLimiter {
        get throws { try cadenza.state(BufferedRateLimiter.self) }
    }
}

import NIOConcurrencyHelpers
import SQLKit
import Vapor

/// Catalog reads kept per process, keyed by the caller's visible libraries and checked against a
/// catalog version that every scan and import bumps in its own transaction: any node sees a
/// change on its next request. When full, the entries written longest ago go first.
final class CatalogCache: Sendable {
    private struct Entry: @unchecked Sendable {
        // The value is only ever read back as the type stored under the same key.
        var version: String
        var value: Any
        var sequence: Int
    }

    private struct State {
        var entries: [String: Entry] = [:]
        /// Keys in the order they were last written; an entry older than its key's last write is skipped.
        var order: [(key: String, sequence: Int)] = []
        var head = 0
        var sequence = 0
        /// Computations under way, so concurrent misses on one key wait for one build.
        var building: [String: (version: String, task: Task<any Sendable, any Error>)] = [:]
    }

    static let versionKey = "catalog_version"
    private let state = NIOLockedValueBox(State())
    let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    /// The cached value, or one computation of it shared by every caller that misses meanwhile.
    func value<T: Sendable>(_ key: String, version: String, compute: @escaping @Sendable () async throws -> T) async throws -> T {
        if let hit: T = cached(key, version: version) { return hit }
        let task = state.withLockedValue { state -> Task<any Sendable, any Error> in
            if let running = state.building[key], running.version == version { return running.task }
            let task = Task<any Sendable, any Error> { try await compute() }
            state.building[key] = (version, task)
            return task
        }
        let result: any Sendable
        do { result = try await task.value } catch {
            state.withLockedValue { if $0.building[key]?.version == version { $0.building[key] = nil } }
            throw error
        }
        guard let value = result as? T else { return try await compute() }  // another type under this key: a programming error
        store(value, key, version: version)
        state.withLockedValue { if $0.building[key]?.version == version { $0.building[key] = nil } }
        return value
    }

    func cached<T: Sendable>(_ key: String, version: String) -> T? {
        guard let hit = state.withLockedValue({ $0.entries[key] }), hit.version == version else { return nil }
        return hit.value as? T
    }

    func store<T: Sendable>(_ value: T, _ key: String, version: String) {
        state.withLockedValue { state in
            state.sequence += 1
            state.entries[key] = Entry(version: version, value: value, sequence: state.sequence)
            state.order.append((key, state.sequence))
            // Oldest writes go first; an index rebuilt for a new version counts as new.
            while state.entries.count > limit, state.head < state.order.count {
                let (oldest, sequence) = state.order[state.head]
                if state.entries[oldest]?.sequence == sequence { state.entries[oldest] = nil }
                state.head += 1
            }
            if state.order.count - state.head > 4 * limit {  // rewrites left stale log entries: rebuild the log
                state.order = state.entries.map { ($0.key, $0.value.sequence) }.sorted { $0.sequence < $1.sequence }
                state.head = 0
            } else if state.head > limit {  // drop the consumed part now and then
                state.order.removeFirst(state.head)
                state.head = 0
            }
        }
    }

    static func version(on db: any SQLDatabase) async throws -> String {
        try await db.raw("SELECT value FROM server_state WHERE key = \(bind: versionKey)").first()?.decode(column: "value", as: String.self) ?? "0"
    }

    /// Call inside the transaction that changes the catalog.
    static func bump(on db: any SQLDatabase) async throws {
        let value = "\(Clock.nowMillis())-\(UInt32.random(in: 0 ... .max))"
        try await db.raw(
            """
            INSERT INTO server_state (key, value, updated_at) VALUES (\(bind: versionKey), \(bind: value), \(bind: Clock.nowMillis()))
            ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
            """
        ).run()
    }
}

extension Application {
    /// Whole-catalog aggregates: the artist index, genres, album and search indexes.
    var catalogCache: CatalogCache {
        get throws { try cadenza.state(CatalogCaches.self).aggregates }
    }

    /// One item's assembled view (an album with its tracks, a track): many small entries.
    var catalogItemCache: CatalogCache {
        get throws { try cadenza.state(CatalogCaches.self).items }
    }
}

/// The Library feature's per-process caches, made once when it configures.
struct CatalogCaches: Sendable {
    let aggregates = CatalogCache(limit: 256)
    let items = CatalogCache(limit: 8192)
}

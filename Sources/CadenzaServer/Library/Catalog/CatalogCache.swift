import NIOConcurrencyHelpers
import SQLKit
import Vapor

/// Catalog reads kept per process, keyed by the caller's visible libraries and checked against a
/// catalog version that every scan and import bumps in its own transaction: any node sees a
/// change on its next request. When full, the oldest entries go first.
final class CatalogCache: Sendable {
    private struct Entry: @unchecked Sendable {
        // The value is only ever read back as the type stored under the same key.
        var version: String
        var value: Any
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var order: [String] = []     // insertion order of the keys, for eviction
        var head = 0
    }

    static let versionKey = "catalog_version"
    private let state = NIOLockedValueBox(State())
    let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    func value<T: Sendable>(_ key: String, version: String, compute: () async throws -> T) async throws -> T {
        if let hit: T = cached(key, version: version) { return hit }
        let value = try await compute()
        store(value, key, version: version)
        return value
    }

    func cached<T: Sendable>(_ key: String, version: String) -> T? {
        guard let hit = state.withLockedValue({ $0.entries[key] }), hit.version == version else { return nil }
        return hit.value as? T
    }

    func store<T: Sendable>(_ value: T, _ key: String, version: String) {
        state.withLockedValue { state in
            if state.entries.updateValue(Entry(version: version, value: value), forKey: key) == nil {
                state.order.append(key)
            }
            while state.entries.count > limit, state.head < state.order.count {
                state.entries[state.order[state.head]] = nil
                state.head += 1
            }
            if state.head > limit {   // compact the key log now and then
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
        try await db.raw("""
            INSERT INTO server_state (key, value, updated_at) VALUES (\(bind: versionKey), \(bind: value), \(bind: Clock.nowMillis()))
            ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
            """).run()
    }
}

extension Application {
    private struct CatalogCacheKey: StorageKey { typealias Value = CatalogCache }
    private struct CatalogItemCacheKey: StorageKey { typealias Value = CatalogCache }

    /// Whole-catalog aggregates: the artist index, genres, album and search indexes.
    var catalogCache: CatalogCache {
        storage[CatalogCacheKey.self] ?? CatalogCache(limit: 1)
    }

    /// One item's assembled view (an album with its tracks, a track): many small entries.
    var catalogItemCache: CatalogCache {
        storage[CatalogItemCacheKey.self] ?? CatalogCache(limit: 1)
    }

    func installCatalogCache() {
        storage[CatalogCacheKey.self] = CatalogCache(limit: 256)
        storage[CatalogItemCacheKey.self] = CatalogCache(limit: 8192)
    }
}

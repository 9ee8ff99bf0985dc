import NIOConcurrencyHelpers
import SQLKit
import Vapor

/// Reads that aggregate the whole catalog (the artist index, genres) kept per process, keyed by
/// the caller's visible libraries and checked against a catalog version that every scan and
/// import bumps in its own transaction: any node sees a change on its next request.
final class CatalogCache: Sendable {
    private struct Entry: @unchecked Sendable {
        // The value is only ever read back as the type stored under the same key.
        var version: String
        var value: Any
    }

    static let versionKey = "catalog_version"
    private let entries = NIOLockedValueBox([String: Entry]())
    private let limit = 256

    func value<T: Sendable>(_ key: String, version: String, compute: () async throws -> T) async throws -> T {
        if let hit = entries.withLockedValue({ $0[key] }), hit.version == version, let value = hit.value as? T {
            return value
        }
        let value = try await compute()
        entries.withLockedValue { entries in
            if entries.count >= limit { entries.removeAll() }
            entries[key] = Entry(version: version, value: value)
        }
        return value
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

    var catalogCache: CatalogCache {
        storage[CatalogCacheKey.self] ?? CatalogCache()
    }

    func installCatalogCache() {
        storage[CatalogCacheKey.self] = CatalogCache()
    }
}

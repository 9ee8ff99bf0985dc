import Foundation
import SQLKit

/// One holder per key across every process on the database: a row in `leases` that its holder
/// renews and others may take once it has expired. Works the same on SQLite and PostgreSQL.
public enum Leases {
    /// Takes or renews `key` for `owner` until `duration` from now; false while someone else holds
    /// it. `address` is where the holder answers (see `holding`); with `takingExpired` false, a
    /// lease someone else let expire is not taken (the caller asks them first, then `takeOver`).
    public static func acquire(
        _ key: String, owner: String, duration: Duration, address: String? = nil, takingExpired: Bool = true, on db: any SQLDatabase
    ) async throws -> Bool {
        let now = Clock.nowMillis()
        let until = now + duration.milliseconds
        let expired: SQLQueryString = takingExpired ? "OR leases.expires_at < \(bind: now)" : ""
        let row = try await db.raw(
            """
            INSERT INTO leases (key, owner, expires_at, address) VALUES (\(bind: key), \(bind: owner), \(bind: until), \(bind: address))
            ON CONFLICT (key) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at, address = excluded.address
            WHERE leases.owner = excluded.owner \(expired)
            RETURNING owner
            """
        ).first()
        return try row?.decode(column: "owner", as: String.self) == owner
    }

    /// Renews those of `keys` that `owner` holds, in one statement; the keys renewed (a key
    /// another holds, or nobody, is left as it is and not returned).
    public static func renew(
        _ keys: [String], owner: String, duration: Duration, address: String? = nil, on db: any SQLDatabase
    ) async throws -> Set<String> {
        guard !keys.isEmpty else { return [] }
        let until = Clock.nowMillis() + duration.milliseconds
        let rows = try await db.raw(
            """
            UPDATE leases SET expires_at = \(bind: until), address = \(bind: address)
            WHERE owner = \(bind: owner) AND key IN (\(binds: keys)) RETURNING key
            """
        ).all()
        return Set(try rows.map { try $0.decode(column: "key", as: String.self) })
    }

    /// Who holds `key`, where they answer, and whether their lease ran out.
    public struct Holding: Sendable, Equatable {
        public var owner: String
        public var address: String?
        public var expired: Bool
        /// When it runs out, on the holder's clock (ms since 1970).
        public var expiresAt: Int64
    }

    public static func holding(_ key: String, on db: any SQLDatabase) async throws -> Holding? {
        guard let row = try await db.raw("SELECT owner, address, expires_at FROM leases WHERE key = \(bind: key)").first() else {
            return nil
        }
        let expiresAt = try row.decode(column: "expires_at", as: Int64.self)
        return Holding(
            owner: try row.decode(column: "owner", as: String.self), address: try row.decode(column: "address", as: String?.self),
            expired: expiresAt < Clock.nowMillis(), expiresAt: expiresAt)
    }

    /// Takes `key` over from `previous`, only if they still hold it and their lease has run out.
    public static func takeOver(
        _ key: String, from previous: String, owner: String, duration: Duration, address: String?, on db: any SQLDatabase
    ) async throws -> Bool {
        let now = Clock.nowMillis()
        let row = try await db.raw(
            """
            UPDATE leases SET owner = \(bind: owner), expires_at = \(bind: now + duration.milliseconds), address = \(bind: address)
            WHERE key = \(bind: key) AND owner = \(bind: previous) AND expires_at < \(bind: now)
            RETURNING owner
            """
        ).first()
        return try row?.decode(column: "owner", as: String.self) == owner
    }

    /// Gives the key up at once (shutdown), so the next holder need not wait for it to expire.
    public static func release(_ key: String, owner: String, on db: any SQLDatabase) async throws {
        try await db.raw("DELETE FROM leases WHERE key = \(bind: key) AND owner = \(bind: owner)").run()
    }

    /// Who holds `key` now, if anyone.
    public static func holder(_ key: String, on db: any SQLDatabase) async throws -> String? {
        try await db.raw("SELECT owner FROM leases WHERE key = \(bind: key) AND expires_at >= \(bind: Clock.nowMillis())")
            .first()?.decode(column: "owner", as: String.self)
    }

    /// A name for this process, unique across hosts and restarts.
    public static func processOwner() -> String {
        "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier):\(UUID().uuidString.prefix(8))"
    }
}

extension Duration {
    /// Whole milliseconds, saturating (a lease is never long enough to overflow).
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        let (ms, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        return overflow ? Int64.max / 2 : ms + attoseconds / 1_000_000_000_000_000
    }
}

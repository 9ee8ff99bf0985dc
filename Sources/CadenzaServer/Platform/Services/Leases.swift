import Foundation
import SQLKit

/// One holder per key across every process on the database: a row in `leases` that its holder
/// renews and others may take once it has expired. Works the same on SQLite and PostgreSQL.
public enum Leases {
    /// Takes or renews `key` for `owner` until `duration` from now; false while someone else holds it.
    public static func acquire(_ key: String, owner: String, duration: Duration, on db: any SQLDatabase) async throws -> Bool {
        let now = Clock.nowMillis()
        let until = now + duration.milliseconds
        let row = try await db.raw(
            """
            INSERT INTO leases (key, owner, expires_at) VALUES (\(bind: key), \(bind: owner), \(bind: until))
            ON CONFLICT (key) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
            WHERE leases.owner = excluded.owner OR leases.expires_at < \(bind: now)
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

import Fluent
import SQLKit
import Vapor

extension Application {
    /// Key of the PostgreSQL advisory lock that lets one node migrate at a time ("migrate").
    static let migrationLockKey: Int64 = 0x6d69_6772_6174_65

    /// Applies pending migrations once across every node starting at the same moment: on
    /// PostgreSQL the others wait on an advisory lock and then find nothing left to do. Logs one
    /// line (the per-migration lines are at debug level).
    func migrateOnce() async throws {
        fluent.migrationLogLevel = .debug
        guard let sql = db as? any SQLDatabase, sql.dialect.name == "postgresql" else {
            return try await migrateAndSummarise()
        }
        try await db.withConnection { connection in
            // A session lock on a connection held aside; the migrator works on others from the pool.
            guard let held = connection as? any SQLDatabase else {
                throw AdminCommands.Failure(description: "no SQL connection to lock migrations on")
            }
            let free = try await held.raw("SELECT pg_try_advisory_lock(\(bind: Self.migrationLockKey)) AS free").first()?
                .decode(column: "free", as: Bool.self)
            if free != true {
                // Said once, so a node that seems stuck at start tells why (a long migration elsewhere).
                self.logger.info("Another node is migrating the database; waiting for it to finish")
                try await held.raw("SELECT pg_advisory_lock(\(bind: Self.migrationLockKey))").run()
            }
            do {
                try await self.migrateAndSummarise()
            } catch {
                try? await held.raw("SELECT pg_advisory_unlock(\(bind: Self.migrationLockKey))").run()
                throw error
            }
            try await held.raw("SELECT pg_advisory_unlock(\(bind: Self.migrationLockKey))").run()
        }
    }

    /// 41 for `CadenzaServer.M041_CreateDiscovery` (migrations are numbered `M###_What`); -1 for other names.
    static func migrationNumber(_ name: String) -> Int {
        let type = name.split(separator: ".").last ?? Substring(name)
        guard type.first == "M" else { return -1 }
        return Int(type.dropFirst().prefix { $0.isASCII && $0.isNumber }) ?? -1
    }

    private func migrateAndSummarise() async throws {
        try await migrator.setupIfNeeded().get()
        let pending = try await migrator.previewPrepareBatch().get()
        try await migrator.prepareBatch().get()
        // Features migrate in their own order: the summary names the highest-numbered one applied.
        if let newest = pending.map(\.0.name).max(by: { Self.migrationNumber($0) < Self.migrationNumber($1) }) {
            logger.info("Database migrated: \(pending.count) migration\(pending.count == 1 ? "" : "s") applied, now at \(newest)")
        } else {
            logger.debug("Database schema up to date")
        }
    }
}

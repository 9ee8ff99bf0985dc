import ServiceContextModule
import Fluent
import FluentPostgresDriver
import FluentSQLiteDriver
import Foundation
import SQLKit
import Vapor

extension Application {
    /// Selects PostgreSQL when a database URL is set, otherwise a SQLite file in the data directory.
    func configureDatabase(_ settings: Settings) throws {
        if let url = settings.databaseURL {
            var config = try SQLPostgresConfiguration(url: url)
            config.searchPath = nil
            databases.use(
                .postgres(
                    configuration: config, maxConnectionsPerEventLoop: Self.connectionsPerLoop(settings, loops: eventLoopGroup),
                    connectionPoolTimeout: .seconds(20),
                    sqlLogLevel: .trace),
                as: .psql
            )
        } else {
            try FileManager.default.createDirectory(at: settings.dataDirectory, withIntermediateDirectories: true)
            databases.use(
                .sqlite(
                    .init(storage: .file(path: settings.sqlitePath), enableForeignKeys: true),
                    connectionPoolTimeout: .seconds(20), sqlLogLevel: .trace),
                as: .sqlite
            )
        }
    }

    /// The pool is per event loop; a total is spread over the loops, rounded up, with two per loop
    /// at least so a loop's holder of a connection (a transaction, a lease) never starves the rest.
    static func connectionsPerLoop(_ settings: Settings, loops: any EventLoopGroup) -> Int {
        guard let total = settings.databaseConnections else { return 8 }
        let count = max(1, loops.makeIterator().reduce(0) { n, _ in n + 1 })
        return max(2, (total + count - 1) / count)
    }

    /// SQLite connections need WAL and a busy timeout, or concurrent writers fail at once with
    /// "database is locked". The pool keeps one long-lived connection per event loop, so setting
    /// the per-connection pragma on each loop's connection covers them all.
    func prepareSQLiteConnections() async throws {
        guard sql.dialect.name == "sqlite" else { return }
        try await sql.raw("PRAGMA journal_mode = WAL").run()
        for loop in eventLoopGroup.makeIterator() {
            guard let db = databases.database(logger: logger, on: loop) as? any SQLDatabase else { continue }
            try await db.withSession { conn in
                try await conn.raw("PRAGMA busy_timeout = 10000").run()
                try await conn.raw("PRAGMA synchronous = NORMAL").run()
            }
        }
    }

    /// Lets each SQLite connection free its page cache (up to 2 MB each after a scan): an idle
    /// server's, on the next query read back from the file system's cache.
    func releaseSQLiteCaches() async {
        guard sql.dialect.name == "sqlite" else { return }
        for loop in eventLoopGroup.makeIterator() {
            guard let db = databases.database(logger: logger, on: loop) as? any SQLDatabase else { continue }
            try? await db.raw("PRAGMA shrink_memory").run()
        }
    }

    /// The default database as SQLKit, for hand-written hot queries.
    var sql: any SQLDatabase {
        // Both configured drivers are SQL databases; the cast cannot fail for them.
        db as! any SQLDatabase
    }
}

extension Request {
    var sql: any SQLDatabase { db as! any SQLDatabase }
}

extension SQLDatabase {
    var isPostgres: Bool { dialect.name == "postgresql" }
}

extension Database {
    var sql: any SQLDatabase { self as! any SQLDatabase }
}

/// Milliseconds since 1970: the one timestamp representation in Cadenza's schema, so raw SQL
/// compares the same way on SQLite and PostgreSQL.
enum Clock {
    static func nowMillis() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }
    static func millis(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }
    static func date(_ millis: Int64) -> Date { Date(timeIntervalSince1970: Double(millis) / 1000) }
}

extension Database {
    /// A transaction that writes. Fluent begins SQLite transactions DEFERRED: one that reads first
    /// and then writes fails at once with SQLITE_BUSY if another connection committed in between,
    /// and no busy timeout helps. Writing first takes the write lock up front (what BEGIN IMMEDIATE
    /// does), where the busy timeout waits its turn instead. PostgreSQL needs nothing extra.
    ///
    /// Once it commits, this process's workers and event readers are woken: jobs and events it
    /// wrote are found at once, with no wake-up call to remember at each writer.
    func writeTransaction<T: Sendable>(_ body: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        // Fluent runs the body in a task of its own on PostgreSQL: the request it serves goes along.
        let trace = TraceContext.id
        let span = ServiceContextModule.ServiceContext.current
        let wakes = WakeSignal.Pending()
        let result = try await WriteGate.run(on: sql) {
            try await transaction { tx in
                if tx.sql.dialect.name == "sqlite" {
                    try await tx.sql.raw("DELETE FROM server_state WHERE 1 = 0").run()
                }
                return try await WakeSignal.$pending.withValue(wakes) {
                    try await TraceContext.$id.withValue(trace) {
                        try await ServiceContextModule.ServiceContext.$current.withValue(span) { try await body(tx) }
                    }
                }
            }
        }
        wakes.signal()
        return result
    }
}

extension SQLList {
    /// Integer ids written as literals: safe (they are numbers) and not limited by the number of
    /// binds a statement may carry (65,535 on PostgreSQL), which a big playlist or star set can pass.
    init(integers ids: some Sequence<Int64>) {
        self.init(ids.map { SQLLiteral.numeric(String($0)) })
    }
}

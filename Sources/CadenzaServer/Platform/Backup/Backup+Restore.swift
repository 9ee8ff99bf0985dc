import Foundation
import SQLKit
import Vapor

extension Backup {
    /// Puts a backup back. Everything is checked before anything is touched: every file of the
    /// backup must be listed in its checksums and match them, the manifest must name only
    /// folders this version backs up, and the backup must not come from a newer version. Then
    /// the database, the secret key and the folders, each staged beside what it replaces and
    /// swapped in, then migrations (the backup may be older than this binary). Refuses while any
    /// Cadenza process holds a lease on the target database, and over an existing database
    /// unless `replace`; what was replaced is kept aside and named in the output.
    public static func restore(
        settings: Settings, from source: String, replace: Bool, features: [any Feature] = Features.all
    ) async throws -> [String] {
        let root = URL(fileURLWithPath: source).standardizedFileURL
        let manifest = try await verified(root, settings: settings, features: features)
        var lines = ["every file matches \(checksumFile) (backup of \(ISO8601DateFormatter().string(from: manifest.createdAt)))"]
        var done: [String] = []
        do {
            let hadDatabase = try await refuseWhileRunning(settings, replace: replace)
            if settings.usesPostgres, let url = settings.databaseURL {
                lines.append(try await restorePostgres(url: url, settings: settings, from: root, hadDatabase: hadDatabase))
            } else {
                lines.append(try restoreSQLite(settings: settings, from: root))
            }
            done.append("database")
            if manifest.secretKey {
                let key = settings.dataDirectory.appendingPathComponent(secretKeyFile)
                try swapIn(root.appendingPathComponent(secretKeyFile), at: key, copy: { try FileManager.default.copyItem(at: $0, to: $1) })
                lines.append("secret key: \(key.path)\(settings.secretKey != nil ? " (CADENZA_SECRET_KEY is set and wins over it)" : "")")
                done.append("secret key")
            }
            for name in manifest.directories {
                let target = settings.mediaDirectory.appendingPathComponent(name)
                let copied = try await runBlockingThrowing { () throws -> Int in
                    var count = 0
                    try swapIn(root.appendingPathComponent(name), at: target) { from, to in count = try FileTree.copy(from: from, to: to).files }
                    return count
                }
                lines.append("\(name)/: \(copied) files")
                done.append(name + "/")
            }
            let moved = manifest.mediaDirectory != settings.mediaDirectory.path
            let applied = try await AdminCommands.withApp(settings, migrate: true) { app in
                if moved {
                    for feature in features {
                        try await feature.mediaDirectoryMoved(from: manifest.mediaDirectory, to: settings.mediaDirectory.path, on: app.sql)
                    }
                }
                return try await appliedMigrations(app.sql)
            }
            if moved { lines.append("paths under \(manifest.mediaDirectory) now point under \(settings.mediaDirectory.path)") }
            lines.append("restored; \(applied) migrations applied (the backup had \(manifest.migrations))")
            return lines
        } catch {
            let what = (error as? Failure)?.description ?? String(reflecting: error)
            throw Failure(
                description: "restore stopped: \(what)\n  restored before that: \(done.isEmpty ? "nothing" : done.joined(separator: ", "))"
                    + "\n  what was replaced is kept beside it (*.before-restore)")
        }
    }

    /// The manifest, once every check passed; throws before anything is touched.
    private static func verified(_ root: URL, settings: Settings, features: [any Feature]) async throws -> Manifest {
        let (listed, bad) = try await runBlockingThrowing { try Checksums.verify(root, from: checksumFile) }
        guard bad.isEmpty else {
            throw Failure(
                description: "\(bad.count) file(s) differ from \(checksumFile), nothing restored: \(bad.prefix(10).joined(separator: ", "))")
        }
        let present = Set(try await runBlockingThrowing { try FileTree.files(under: root) }).subtracting([checksumFile])
        let unlisted = present.subtracting(listed)
        guard unlisted.isEmpty else {
            throw Failure(description: "files not in \(checksumFile), nothing restored: \(unlisted.sorted().prefix(10).joined(separator: ", "))")
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        guard listed.contains(manifestFile), let data = try? Data(contentsOf: root.appendingPathComponent(manifestFile)),
            let manifest = try? decoder.decode(Manifest.self, from: data), manifest.format == 1
        else { throw Failure(description: "\(manifestFile) is missing or unreadable: not a Cadenza backup") }
        let kind = settings.usesPostgres ? "postgresql" : "sqlite"
        guard manifest.database == kind else {
            throw Failure(description: "this backup holds a \(manifest.database) database; the configuration selects \(kind)")
        }
        let databaseFile = settings.usesPostgres ? postgresFile : sqliteFile
        guard listed.contains(databaseFile) else { throw Failure(description: "the backup has no \(databaseFile)") }
        guard !manifest.secretKey || listed.contains(secretKeyFile) else { throw Failure(description: "the backup has no \(secretKeyFile)") }
        let known = Set(features.flatMap(\.backupDirectories))
        for name in manifest.directories where !known.contains(name) {
            throw Failure(description: "\(manifestFile) names a folder this version does not back up: \(name.prefix(100))")
        }
        let migrations = features.reduce(0) { $0 + $1.migrations.count }
        guard manifest.migrations <= migrations else {
            throw Failure(
                description:
                    "this backup comes from a newer Cadenza (\(manifest.migrations) migrations; this one knows \(migrations)): restore it with that version"
            )
        }
        return manifest
    }

    /// Stages `source` beside `target` (`make` copies it there), keeps what was at `target` as
    /// `*.before-restore`, and moves the staged copy in.
    static func swapIn(_ source: URL, at target: URL, copy make: (URL, URL) throws -> Void) throws {
        let files = FileManager.default
        // Through a link (a folder on a share the nodes have in common): restored where it
        // points, so the link, and every node using the share, sees the restored files.
        let target = target.resolvingSymlinksInPath()
        try files.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        let staged = target.appendingPathExtension("restoring"), kept = target.appendingPathExtension("before-restore")
        try? files.removeItem(at: staged)
        try make(source, staged)
        if files.fileExists(atPath: target.path) {
            try? files.removeItem(at: kept)
            try files.moveItem(at: target, to: kept)
        }
        try files.moveItem(at: staged, to: target)
    }

    private static func restoreSQLite(settings: Settings, from root: URL) throws -> String {
        let target = URL(fileURLWithPath: settings.sqlitePath)
        try swapIn(root.appendingPathComponent(sqliteFile), at: target) { try FileManager.default.copyItem(at: $0, to: $1) }
        // The replaced database's journal must not be replayed over the restored file.
        for suffix in ["-wal", "-shm"] {
            let journal = target.path + suffix
            if FileManager.default.fileExists(atPath: journal) {
                try? FileManager.default.removeItem(atPath: target.path + ".before-restore" + suffix)
                try FileManager.default.moveItem(atPath: journal, toPath: target.path + ".before-restore" + suffix)
            }
        }
        return "database: \(target.path)"
    }

    /// Into a fresh `public` schema; the one it replaces is renamed aside first and put back if
    /// the restore fails, then dropped.
    private static func restorePostgres(url: String, settings: Settings, from root: URL, hadDatabase: Bool) async throws -> String {
        let dump = root.appendingPathComponent(postgresFile)
        try await PostgresDump.check(dump, url: url)
        let aside = "cadenza_before_restore"
        if hadDatabase {
            try await AdminCommands.withApp(settings, migrate: false) { app in
                try await app.sql.raw("DROP SCHEMA IF EXISTS \(unsafeRaw: aside) CASCADE").run()
                try await app.sql.raw("ALTER SCHEMA public RENAME TO \(unsafeRaw: aside)").run()
                try await app.sql.raw("CREATE SCHEMA public").run()
            }
        }
        do {
            try await PostgresDump.restore(url: url, from: dump)
        } catch {
            if hadDatabase {
                try? await AdminCommands.withApp(settings, migrate: false) { app in
                    try await app.sql.raw("DROP SCHEMA public CASCADE").run()
                    try await app.sql.raw("ALTER SCHEMA \(unsafeRaw: aside) RENAME TO public").run()
                }
            }
            throw error
        }
        if hadDatabase {
            try await AdminCommands.withApp(settings, migrate: false) { app in
                try await app.sql.raw("DROP SCHEMA \(unsafeRaw: aside) CASCADE").run()
            }
        }
        return "database: pg_restore into \(PostgresDump.describe(url))"
    }

    /// Whether the target already has a database; throws while a process holds a lease on it, or
    /// when it exists and `replace` was not given.
    private static func refuseWhileRunning(_ settings: Settings, replace: Bool) async throws -> Bool {
        if !settings.usesPostgres, !FileManager.default.fileExists(atPath: settings.sqlitePath) { return false }
        let (exists, holders) = try await AdminCommands.withApp(settings, migrate: false) { app -> (Bool, [String]) in
            // Only "no such table" means no database; any other error (busy, corrupt) stops the restore.
            let tables =
                try await app.sql.raw(
                    app.sql.dialect.name == "sqlite"
                        ? "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'leases'"
                        : "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = 'public' AND table_name = 'leases'"
                ).first()?.decode(column: "n", as: Int.self) ?? 0
            guard tables > 0 else { return (false, []) }
            let now = Clock.nowMillis()
            let rows = try await app.sql.raw("SELECT key FROM leases WHERE expires_at >= \(bind: now) ORDER BY key").all()
            return (true, try rows.map { try $0.decode(column: "key", as: String.self) })
        }
        guard holders.isEmpty else {
            throw Failure(
                description:
                    "a Cadenza process is running on this database (it holds \(holders.prefix(3).joined(separator: ", "))): stop every node first")
        }
        guard !exists || replace else {
            throw Failure(description: "a database is already there; add --replace to overwrite it with the backup")
        }
        return exists
    }
}

import Foundation
import SQLKit
import Vapor

extension Backup {
    /// Puts a backup back: checksums first (nothing is touched if one differs), then the
    /// database, the secret key and the folders, then migrations (the backup may be older than
    /// this binary). Refuses while any Cadenza process holds a lease on the target database, and
    /// over an existing database unless `replace`. Folders go back into the media directory.
    public static func restore(
        settings: Settings, from source: String, replace: Bool, features: [any Feature] = Features.all
    ) async throws -> [String] {
        let root = URL(fileURLWithPath: source).standardizedFileURL
        let (checked, bad) = try await runBlockingThrowing { try Checksums.verify(root, from: checksumFile) }
        guard bad.isEmpty else {
            throw Failure(
                description: "\(bad.count) file(s) differ from \(checksumFile), nothing restored: \(bad.prefix(10).joined(separator: ", "))")
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        guard let data = try? Data(contentsOf: root.appendingPathComponent(manifestFile)),
            let manifest = try? decoder.decode(Manifest.self, from: data), manifest.format == 1
        else { throw Failure(description: "\(manifestFile) is missing or unreadable: not a Cadenza backup") }
        let kind = settings.usesPostgres ? "postgresql" : "sqlite"
        guard manifest.database == kind else {
            throw Failure(description: "this backup holds a \(manifest.database) database; the configuration selects \(kind)")
        }
        var lines = ["\(checked) files match \(checksumFile) (backup of \(ISO8601DateFormatter().string(from: manifest.createdAt)))"]

        let hadDatabase = try await refuseWhileRunning(settings, replace: replace)
        if settings.usesPostgres, let url = settings.databaseURL {
            if hadDatabase {
                // Tables a newer version added are not in the backup: start from an empty schema.
                try await AdminCommands.withApp(settings, migrate: false) { app in
                    try await app.sql.raw("DROP SCHEMA public CASCADE").run()
                    try await app.sql.raw("CREATE SCHEMA public").run()
                }
            }
            try await PostgresDump.restore(url: url, from: root.appendingPathComponent(postgresFile))
            lines.append("database: pg_restore into \(PostgresDump.describe(url))")
        } else {
            try FileManager.default.createDirectory(at: settings.dataDirectory, withIntermediateDirectories: true)
            let target = URL(fileURLWithPath: settings.sqlitePath)
            let incoming = target.appendingPathExtension("restoring")
            try? FileManager.default.removeItem(at: incoming)
            try FileManager.default.copyItem(at: root.appendingPathComponent(sqliteFile), to: incoming)
            // The old database's journal must not be replayed over the restored file.
            for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: target.path + suffix) }
            guard Foundation.rename(incoming.path, target.path) == 0 else {
                throw Failure(description: "cannot put the database in place at \(target.path) (errno \(errno))")
            }
            lines.append("database: \(target.path)")
        }

        if manifest.secretKey {
            let key = settings.dataDirectory.appendingPathComponent(secretKeyFile)
            try? FileManager.default.removeItem(at: key)
            try FileManager.default.copyItem(at: root.appendingPathComponent(secretKeyFile), to: key)
            lines.append("secret key: \(key.path)\(settings.secretKey != nil ? " (CADENZA_SECRET_KEY is set and wins over it)" : "")")
        }
        for name in manifest.directories where FileTree.isInside(name) {
            let target = settings.mediaDirectory.appendingPathComponent(name)
            let copied = try await runBlockingThrowing { () throws -> (files: Int, bytes: Int64) in
                try? FileManager.default.removeItem(at: target)
                return try FileTree.copy(from: root.appendingPathComponent(name), to: target)
            }
            lines.append("\(name)/: \(copied.files) files")
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
    }

    /// Whether the target already has a database; throws while a process holds a lease on it, or
    /// when it exists and `replace` was not given.
    private static func refuseWhileRunning(_ settings: Settings, replace: Bool) async throws -> Bool {
        if !settings.usesPostgres, !FileManager.default.fileExists(atPath: settings.sqlitePath) { return false }
        let (exists, holders) = try await AdminCommands.withApp(settings, migrate: false) { app -> (Bool, [String]) in
            guard (try? await appliedMigrations(app.sql)) != nil else { return (false, []) }
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

import Foundation
import SQLKit
import Vapor

/// `cadenza backup --to DIR` and `cadenza restore --from DIR`: the database (a consistent
/// snapshot taken while the server runs), the secret key and the folders features keep their
/// users' files in (`Feature.backupDirectories`), with a SHA-256 of every file.
///
/// Layout of DIR: `backup.json` (what and when), `cadenza.sqlite` or `cadenza.pgdump`,
/// `secret.key` (when the key is a file), one folder per backed-up directory, and `SHA256SUMS`
/// (the format `sha256sum -c` reads).
public enum Backup {
    struct Manifest: Codable, Sendable {
        var format = 1
        var createdAt: Date
        /// "sqlite" or "postgresql".
        var database: String
        /// Migrations the database had applied.
        var migrations: Int
        /// The media directory it was taken from (folder paths in the database are under it).
        var mediaDirectory: String
        var secretKey: Bool
        var directories: [String]
    }

    static let manifestFile = "backup.json"
    static let checksumFile = "SHA256SUMS"
    static let sqliteFile = "cadenza.sqlite"
    static let postgresFile = "cadenza.pgdump"
    static let secretKeyFile = "secret.key"

    /// The admin commands' failure: printed as it is, without a stack of wrappers.
    public typealias Failure = AdminCommands.Failure

    /// Writes a backup into `target`, which must not exist or be empty; returns the lines to print.
    public static func backup(settings: Settings, to target: String, features: [any Feature] = Features.all) async throws -> [String] {
        let root = URL(fileURLWithPath: target).standardizedFileURL
        let existing = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        guard existing.isEmpty else { throw Failure(description: "\(root.path) is not empty: back up into a new folder") }
        for inside in [settings.dataDirectory, settings.mediaDirectory] where (root.path + "/").hasPrefix(inside.standardizedFileURL.path + "/") {
            throw Failure(description: "\(root.path) is inside \(inside.path): back up somewhere else (it would copy itself)")
        }
        // The database holds password and token hashes: only the owner may read the backup.
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let started = ContinuousClock.now
        var lines: [String] = []

        // The database first: files written after this moment are extra, never missing.
        let migrations: Int
        if settings.usesPostgres, let url = settings.databaseURL {
            migrations = try await AdminCommands.withApp(settings, migrate: false) { app in try await appliedMigrations(app.sql) }
            try await PostgresDump.dump(url: url, to: root.appendingPathComponent(postgresFile))
            lines.append("database: pg_dump of \(PostgresDump.describe(url)) → \(postgresFile)")
        } else {
            guard FileManager.default.fileExists(atPath: settings.sqlitePath) else {
                throw Failure(description: "no database at \(settings.sqlitePath)")
            }
            let file = root.appendingPathComponent(sqliteFile).path
            migrations = try await AdminCommands.withApp(settings, migrate: false) { app in
                // A consistent snapshot of the live database, writers carry on meanwhile (WAL).
                try await app.sql.raw("VACUUM INTO \(bind: file)").run()
                return try await appliedMigrations(app.sql)
            }
            lines.append("database: snapshot of \(settings.sqlitePath) → \(sqliteFile)")
        }

        let keyFile = settings.dataDirectory.appendingPathComponent(secretKeyFile)
        let hasKeyFile = settings.secretKey == nil && FileManager.default.fileExists(atPath: keyFile.path)
        if hasKeyFile {
            try FileManager.default.copyItem(at: keyFile, to: root.appendingPathComponent(secretKeyFile))
            lines.append("secret key: \(secretKeyFile)")
        } else if settings.secretKey != nil {
            lines.append("secret key: set by CADENZA_SECRET_KEY, not copied; keep it with this backup")
        }

        let directories = features.flatMap(\.backupDirectories)
        for name in directories {
            let copied = try await runBlockingThrowing {
                try FileTree.copy(from: settings.mediaDirectory.appendingPathComponent(name), to: root.appendingPathComponent(name))
            }
            lines.append("\(name)/: \(copied.files) files, \(copied.bytes) bytes")
        }

        let manifest = Manifest(
            createdAt: Date(), database: settings.usesPostgres ? "postgresql" : "sqlite", migrations: migrations,
            mediaDirectory: settings.mediaDirectory.path, secretKey: hasKeyFile, directories: directories)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        try encoder.encode(manifest).write(to: root.appendingPathComponent(manifestFile))
        let sums = try await runBlockingThrowing { try Checksums.write(root, to: checksumFile) }
        let elapsed = ContinuousClock.now - started
        lines.append("\(sums) files checksummed in \(checksumFile); done in \(elapsed.components.seconds) s → \(root.path)")
        return lines
    }

    static func appliedMigrations(_ db: any SQLDatabase) async throws -> Int {
        try await db.raw("SELECT COUNT(*) AS n FROM _fluent_migrations").first()?.decode(column: "n", as: Int.self) ?? 0
    }
}

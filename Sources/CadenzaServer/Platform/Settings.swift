import Foundation
import Logging

/// Everything the server reads from its surroundings, filled once at start.
///
/// Sources, highest first: command-line flags, the environment (`CADENZA_*`), an optional
/// config file of `KEY=VALUE` lines using the same keys as the environment.
public struct Settings: Sendable {
    public enum Role: String, Sendable, CaseIterable {
        case api, worker, scheduler
        /// A radio playout process (`cadenza playout --station SLUG`): HTTP for its mounts only
        /// in spirit (the routes are the same), no event hub, no workers.
        case playout

        /// What `cadenza serve` runs when no roles are named.
        static let standard: Set<Role> = [.api, .worker, .scheduler]
    }

    public var dataDirectory: URL
    /// `nil` selects the embedded SQLite database in the data directory.
    public var databaseURL: String?
    public var host: String
    public var port: Int
    /// Where a process without the api role (`cadenza worker`) answers `/metrics`, `/healthz`
    /// and `/readyz`, on `host`; 0: it listens nowhere.
    public var operationsPort: Int = 0
    public var roles: Set<Role>
    /// The address users reach this server at, used in links the server prints or sends.
    public var publicURL: String
    public var maxBodyBytes: Int
    public var logLevel: Logger.Level
    public var bcryptCost: Int
    /// Marks cookies `Secure`; on by default when the public URL is https.
    public var secureCookies: Bool
    public var sessionLifetime: TimeInterval
    public var workerConcurrency: Int
    public var jobLease: TimeInterval
    /// The safety-net poll; LISTEN/NOTIFY (or the in-process signal) normally wakes workers first.
    public var jobPollInterval: TimeInterval
    /// How long running jobs may finish at shutdown before they are cancelled and released.
    public var jobShutdownGrace: TimeInterval
    public var eventPollInterval: TimeInterval
    public var loginRateLimitPerIP: Int
    public var loginRateLimitPerAccount: Int
    public var rateLimitWindow: TimeInterval
    /// Folders added to the instance library "Music" at start (`--music-dir`, repeatable).
    public var musicDirectories: [String]
    public var maxUploadBytes: Int
    public var transcodeCacheBytes: Int64
    /// Minutes between automatic rescans of folder libraries; 0 turns them off.
    public var rescanMinutes: Int
    /// Seconds a connection may send and receive nothing before it is closed.
    public var idleTimeout: TimeInterval
    public var eventStreamsPerUser: Int
    public var eventStreamsPerAddress: Int
    /// ffmpeg processes at once (transcodes and artwork resizes), in total and per user.
    public var transcodeConcurrency: Int
    public var transcodesPerUser: Int
    /// The bearer token `/metrics` asks of anyone but a local scraper (nil: local scrapers only).
    public var metricsToken: String?
    /// Reverse proxies whose `X-Forwarded-For` names the client (rate limits, logs).
    public var trustedProxies: [AddressRange]
    /// The key that seals recoverable secrets, base64 (`nil`: a key file in the data directory).
    public var secretKey: String?
    /// How log lines are written: for a person (`text`) or one JSON object per line (`json`).
    public var logFormat: LogFormat = .text
    /// One line per HTTP request (method, path, status, duration, client, request id).
    public var accessLog = false
    /// PostgreSQL connections this process may open, spread over its event loops (`nil`: 8 per
    /// loop). Several nodes share one server's `max_connections`, so operators size it.
    public var databaseConnections: Int?
    /// The OpenTelemetry collector's OTLP/HTTP address (`/v1/traces` is added); `nil`: no traces.
    public var otlpEndpoint: String?
    /// Every `CADENZA_*` value given, by precedence, for the features' sections.
    var raw: [String: String] = [:]
    /// Feature sections read at load, by type.
    var sections: [ObjectIdentifier: any Sendable] = [:]

    /// Where what users give the server is kept (uploads, artwork, imports, recorded sets): the
    /// data directory unless `CADENZA_MEDIA_DIR` names a shared one (several machines).
    public var mediaDirectory: URL {
        mediaDirectoryOverride ?? dataDirectory
    }
    var mediaDirectoryOverride: URL?

    public var usesPostgres: Bool { databaseURL != nil }

    /// A URL the PostgreSQL driver takes (`postgres://` over TCP with a host; `postgres+uds://`
    /// with a user and the socket file's path) and that `pg_dump` can be pointed at too.
    static func isPostgresURL(_ url: String) -> Bool {
        guard let parts = URLComponents(string: url) else { return false }
        switch parts.scheme?.lowercased() {
        case "postgres", "postgresql":
            return parts.host?.isEmpty == false
        case "postgres+uds", "postgresql+uds":
            guard parts.user?.isEmpty == false, parts.port == nil, ["", "localhost"].contains(parts.host ?? "") else { return false }
            return (try? PostgresDump.connection(url)) != nil
        default:
            return false
        }
    }
    public var sqlitePath: String { dataDirectory.appendingPathComponent("cadenza.sqlite").path }
}

/// Every problem found while reading settings, reported together.
public struct SettingsError: Error, CustomStringConvertible {
    public var problems: [String]
    public var description: String {
        "invalid configuration:\n" + problems.map { "  - \($0)" }.joined(separator: "\n")
    }
}

extension Settings {
    /// Keys accepted from the environment and the config file, with what they mean.
    public static let documentedKeys: [(key: String, help: String)] = [
        ("CADENZA_DATA_DIR", "data directory (default ./data)"),
        ("CADENZA_MEDIA_DIR", "uploads, artwork, imports and recorded sets, shared by every node (default: the data directory)"),
        ("CADENZA_DATABASE_URL", "postgres://user:pass@host:port/db selects PostgreSQL (default: SQLite in the data dir)"),
        (
            "CADENZA_DATABASE_CONNECTIONS",
            "PostgreSQL connections this process opens at most, at least 2 per core (default 8 per core)"
        ),
        (
            "CADENZA_OTLP_ENDPOINT",
            "OpenTelemetry collector, OTLP/HTTP (http://collector:4318): traces of requests, jobs and events (default none)"
        ),
        ("CADENZA_HOST", "listen address (default 127.0.0.1)"),
        ("CADENZA_PORT", "listen port (default 4040)"),
        ("CADENZA_WORKER_PORT", "port where `cadenza worker` answers /metrics, /healthz and /readyz, on CADENZA_HOST (default 0: none)"),
        ("CADENZA_ROLES", "comma list of api,worker,scheduler (default all)"),
        ("CADENZA_PUBLIC_URL", "URL users reach the server at (default http://HOST:PORT)"),
        ("CADENZA_MAX_BODY_BYTES", "largest accepted request body (default 10485760)"),
        ("CADENZA_LOG_LEVEL", "debug|info|notice|warning|error|critical (default info; trace is read as debug, it would log credentials)"),
        ("CADENZA_LOG_FORMAT", "text|json: json writes one object per line, metadata as fields (default text)"),
        ("CADENZA_ACCESS_LOG", "1: log every HTTP request at info: method, path without query, status, duration, client, request id (default 0)"),
        ("CADENZA_BCRYPT_COST", "bcrypt work factor 4...31 (default 12)"),
        ("CADENZA_SECURE_COOKIES", "true|false (default: true when the public URL is https)"),
        ("CADENZA_SESSION_DAYS", "web session lifetime in days (default 30)"),
        ("CADENZA_WORKER_CONCURRENCY", "jobs run at once per worker process (default 4)"),
        ("CADENZA_JOB_LEASE_SECONDS", "how long a claimed job stays claimed without a heartbeat (default 30)"),
        ("CADENZA_JOB_POLL_SECONDS", "idle worker poll interval (default 1)"),
        ("CADENZA_JOB_SHUTDOWN_GRACE_SECONDS", "how long running jobs may finish at shutdown before they are released (default 10)"),
        ("CADENZA_EVENT_POLL_SECONDS", "event tail poll interval (default 0.5)"),
        ("CADENZA_LOGIN_LIMIT_PER_IP", "login attempts per IP per window (default 20)"),
        ("CADENZA_LOGIN_LIMIT_PER_ACCOUNT", "login attempts per account per window (default 10)"),
        ("CADENZA_RATE_WINDOW_SECONDS", "rate-limit window (default 300)"),
        ("CADENZA_MUSIC_DIRS", "music folders for the instance library, separated by ':' (same as --music-dir)"),
        ("CADENZA_MAX_UPLOAD_BYTES", "largest accepted upload request (default 2147483648)"),
        ("CADENZA_TRANSCODE_CACHE_MB", "disk kept for cached transcodes (default 1024)"),
        ("CADENZA_RESCAN_MINUTES", "minutes between automatic rescans of music folders, 0 = off (default 60)"),
        ("CADENZA_IDLE_TIMEOUT_SECONDS", "close connections that send and receive nothing this long (default 120)"),
        ("CADENZA_EVENT_STREAMS_PER_USER", "live event streams open at once per user, per node (default 10)"),
        ("CADENZA_EVENT_STREAMS_PER_ADDRESS", "live event streams open at once per client address, per node (default 50)"),
        ("CADENZA_TRANSCODE_CONCURRENCY", "ffmpeg processes at once per node; more requests wait up to 10 s, then 503 (default 2 per core)"),
        ("CADENZA_TRANSCODES_PER_USER", "transcodes at once per user, per node (default 3)"),
        (
            "CADENZA_METRICS_TOKEN",
            "bearer token for /metrics from other hosts (default: /metrics answers only local requests not sent through a proxy)"
        ),
        ("CADENZA_TRUSTED_PROXIES", "comma list of proxy addresses or CIDR blocks whose X-Forwarded-For names the client (default none)"),
        ("CADENZA_SECRET_KEY", "32 bytes in base64 sealing recoverable secrets; the same on every node (default: a key file in the data dir)"),
    ]

    /// Builds settings from flags (already keyed like the environment), the environment and an
    /// optional config file, with the features' `sections`. Throws ``SettingsError`` listing
    /// every problem at once.
    public static func load(
        flags: [String: String] = [:],
        environment: [String: String] = ProcessInfo.processInfo.environment,
        configFile: String? = nil,
        sections: [any SettingsSection.Type] = []
    ) throws -> Settings {
        var problems: [String] = []
        var file: [String: String] = [:]
        let configPath = flags["CADENZA_CONFIG"] ?? environment["CADENZA_CONFIG"] ?? configFile
        if let configPath {
            do { file = try parseConfigFile(at: configPath) } catch { problems.append("\(error)") }
        }
        let known = Set(documentedKeys.map(\.key) + sections.flatMap { $0.keys.map(\.key) } + ["CADENZA_CONFIG"])
        for key in file.keys where !known.contains(key) {
            problems.append("config file: unknown key \(key)")
        }
        var raw = file
        for (key, value) in environment where key.hasPrefix("CADENZA_") { raw[key] = value }
        for (key, value) in flags { raw[key] = value }
        let reader = SettingsReader(values: raw)
        let value = reader.value
        func number<T: LosslessStringConvertible & Comparable>(_ key: String, default def: T, in range: ClosedRange<T>) -> T {
            reader.number(key, default: def, in: range)
        }
        func bool(_ key: String, default def: Bool) -> Bool { reader.bool(key, default: def) }

        let dataDir = URL(fileURLWithPath: value("CADENZA_DATA_DIR") ?? "./data").standardizedFileURL
        var databaseURL = value("CADENZA_DATABASE_URL")
        if let url = databaseURL, !Self.isPostgresURL(url) {
            problems.append(
                "CADENZA_DATABASE_URL: expected postgres://user:password@host:port/database, or over a Unix socket "
                    + "postgres+uds://user@localhost/run/postgresql/.s.PGSQL.5432#database")
            databaseURL = nil
        }
        let host = value("CADENZA_HOST") ?? "127.0.0.1"
        let port: Int = number("CADENZA_PORT", default: 4040, in: 0...65535)
        var roles = Role.standard
        if let raw = value("CADENZA_ROLES") {
            roles = []
            for name in raw.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) {
                if let role = Role(rawValue: name) {
                    roles.insert(role)
                } else {
                    problems.append("CADENZA_ROLES: unknown role '\(name)' (expected api, worker, scheduler, playout)")
                }
            }
            if roles.isEmpty { problems.append("CADENZA_ROLES: at least one role is needed") }
        }
        let publicURL =
            value("CADENZA_PUBLIC_URL").map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
            ?? "http://\(host == "0.0.0.0" ? "127.0.0.1" : host):\(port)"
        if URLComponents(string: publicURL)?.host == nil {
            problems.append("CADENZA_PUBLIC_URL=\(publicURL): expected an absolute http(s) URL")
        }
        let level: Logger.Level
        if let raw = value("CADENZA_LOG_LEVEL") {
            if let parsed = Logger.Level(rawValue: raw.lowercased()) {
                level = parsed
            } else {
                problems.append("CADENZA_LOG_LEVEL=\(raw): expected one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
                level = .info
            }
        } else {
            level = .info
        }

        var musicDirectories: [String] = []
        for dir in (value("CADENZA_MUSIC_DIRS") ?? "").split(separator: ":").map(String.init) where !dir.isEmpty {
            let absolute = URL(fileURLWithPath: dir).standardizedFileURL.path
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: absolute, isDirectory: &isDirectory), isDirectory.boolValue {
                musicDirectories.append(absolute)
            } else {
                problems.append("music folder \(dir): not an existing directory")
            }
        }
        let secretKey = value("CADENZA_SECRET_KEY")
        if let secretKey, Data(base64Encoded: secretKey)?.count != 32 {
            problems.append("CADENZA_SECRET_KEY: expected 32 bytes in base64 (openssl rand -base64 32)")
        }
        var trustedProxies: [AddressRange] = []
        for entry in (value("CADENZA_TRUSTED_PROXIES") ?? "").split(separator: ",") where !entry.trimmingCharacters(in: .whitespaces).isEmpty {
            if let range = AddressRange(String(entry)) {
                trustedProxies.append(range)
            } else {
                problems.append("CADENZA_TRUSTED_PROXIES: '\(entry)' is not an IP address or CIDR block")
            }
        }
        var settings = Settings(
            dataDirectory: dataDir,
            databaseURL: databaseURL,
            host: host,
            port: port,
            roles: roles,
            publicURL: publicURL,
            maxBodyBytes: number("CADENZA_MAX_BODY_BYTES", default: 10 << 20, in: 1024...(1 << 34)),
            logLevel: level,
            bcryptCost: number("CADENZA_BCRYPT_COST", default: 12, in: 4...31),
            secureCookies: bool("CADENZA_SECURE_COOKIES", default: publicURL.lowercased().hasPrefix("https://")),
            sessionLifetime: Double(number("CADENZA_SESSION_DAYS", default: 30, in: 1...3650)) * 86_400,
            workerConcurrency: number("CADENZA_WORKER_CONCURRENCY", default: 4, in: 1...256),
            jobLease: number("CADENZA_JOB_LEASE_SECONDS", default: 30.0, in: 1...86_400),
            jobPollInterval: number("CADENZA_JOB_POLL_SECONDS", default: 1.0, in: 0.01...60),
            jobShutdownGrace: number("CADENZA_JOB_SHUTDOWN_GRACE_SECONDS", default: 10.0, in: 0...3600),
            eventPollInterval: number("CADENZA_EVENT_POLL_SECONDS", default: 0.5, in: 0.01...60),
            loginRateLimitPerIP: number("CADENZA_LOGIN_LIMIT_PER_IP", default: 20, in: 1...1_000_000),
            loginRateLimitPerAccount: number("CADENZA_LOGIN_LIMIT_PER_ACCOUNT", default: 10, in: 1...1_000_000),
            rateLimitWindow: number("CADENZA_RATE_WINDOW_SECONDS", default: 300.0, in: 1...86_400),
            musicDirectories: musicDirectories,
            maxUploadBytes: number("CADENZA_MAX_UPLOAD_BYTES", default: 2 << 30, in: 1024...(1 << 40)),
            transcodeCacheBytes: Int64(number("CADENZA_TRANSCODE_CACHE_MB", default: 1024, in: 0...10_000_000)) << 20,
            rescanMinutes: number("CADENZA_RESCAN_MINUTES", default: 60, in: 0...525_600),
            idleTimeout: number("CADENZA_IDLE_TIMEOUT_SECONDS", default: 120.0, in: 1...86_400),
            eventStreamsPerUser: number("CADENZA_EVENT_STREAMS_PER_USER", default: 10, in: 1...10_000),
            eventStreamsPerAddress: number("CADENZA_EVENT_STREAMS_PER_ADDRESS", default: 50, in: 1...100_000),
            transcodeConcurrency: number(
                "CADENZA_TRANSCODE_CONCURRENCY", default: max(2, 2 * ProcessInfo.processInfo.activeProcessorCount), in: 1...1024),
            transcodesPerUser: number("CADENZA_TRANSCODES_PER_USER", default: 3, in: 1...1024),
            metricsToken: value("CADENZA_METRICS_TOKEN").flatMap { $0.isEmpty ? nil : $0 },
            trustedProxies: trustedProxies,
            secretKey: secretKey
        )
        switch value("CADENZA_LOG_FORMAT")?.lowercased() {
        case nil, "text": settings.logFormat = .text
        case "json": settings.logFormat = .json
        case let other?: problems.append("CADENZA_LOG_FORMAT=\(other): expected text or json")
        }
        settings.accessLog = bool("CADENZA_ACCESS_LOG", default: false)
        settings.operationsPort = number("CADENZA_WORKER_PORT", default: 0, in: 0...65535)
        if let endpoint = value("CADENZA_OTLP_ENDPOINT"), !endpoint.isEmpty {
            let trimmed = endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
            if let url = URLComponents(string: trimmed), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host?.isEmpty == false {
                settings.otlpEndpoint = trimmed
            } else {
                problems.append("CADENZA_OTLP_ENDPOINT=\(endpoint): expected an http(s) URL such as http://collector:4318")
            }
        }
        if value("CADENZA_DATABASE_CONNECTIONS") != nil {
            settings.databaseConnections = number("CADENZA_DATABASE_CONNECTIONS", default: 8, in: 1...100_000)
        }
        if let media = value("CADENZA_MEDIA_DIR"), !media.isEmpty {
            settings.mediaDirectoryOverride = URL(fileURLWithPath: media).standardizedFileURL
        }
        settings.raw = raw
        problems += reader.problems
        do { try settings.include(sections) } catch let error as SettingsError { problems += error.problems }
        if !problems.isEmpty { throw SettingsError(problems: problems) }
        return settings
    }

    /// `KEY=VALUE` per line; `#` starts a comment; values may be quoted.
    static func parseConfigFile(at path: String) throws -> [String: String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw SettingsError(problems: ["config file \(path): cannot be read"])
        }
        var result: [String: String] = [:]
        var problems: [String] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            guard let eq = trimmed.firstIndex(of: "=") else {
                problems.append("config file \(path):\(number + 1): expected KEY=VALUE")
                continue
            }
            let key = trimmed[..<eq].trimmingCharacters(in: .whitespaces)
            var val = trimmed[trimmed.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            if val.count >= 2, let f = val.first, f == "\"" || f == "'", val.last == f { val = String(val.dropFirst().dropLast()) }
            result[key] = val
        }
        if !problems.isEmpty { throw SettingsError(problems: problems) }
        return result
    }
}

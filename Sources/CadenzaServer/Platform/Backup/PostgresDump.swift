import Foundation

/// `pg_dump` and `pg_restore` (PostgreSQL's client tools) run with an argument array; the
/// password goes in the child's environment, never on a command line `ps` shows.
enum PostgresDump {
    struct Connection {
        var arguments: [String]
        var environment: [String: String]
    }

    /// The client tools' flags for the URL the server connects with: `postgres://` over TCP, or
    /// `postgres+uds://user@localhost/run/postgresql/.s.PGSQL.5432#db` over a Unix socket (the
    /// tools take the socket's directory and port). Without a database name, the user's, as the
    /// server (and libpq) default to.
    static func connection(_ url: String) throws -> Connection {
        guard let parts = URLComponents(string: url), let scheme = parts.scheme?.lowercased() else {
            throw Backup.Failure(description: "CADENZA_DATABASE_URL cannot be read")
        }
        let user = parts.user?.removingPercentEncoding
        var arguments: [String]
        let database: String?
        if scheme.hasSuffix("+uds") {
            let socket = URL(fileURLWithPath: parts.path)
            let prefix = ".s.PGSQL."
            let name = socket.lastPathComponent
            guard name.hasPrefix(prefix), let port = Int(name.dropFirst(prefix.count)), (1...65_535).contains(port) else {
                throw Backup.Failure(description: "CADENZA_DATABASE_URL: a socket path must end in .s.PGSQL.PORT")
            }
            arguments = ["--host", socket.deletingLastPathComponent().path, "--port", String(port)]
            database = parts.fragment?.removingPercentEncoding ?? user
        } else {
            guard let host = parts.host, !host.isEmpty else { throw Backup.Failure(description: "CADENZA_DATABASE_URL cannot be read") }
            arguments = ["--host", host, "--port", String(parts.port ?? 5432)]
            database = parts.path.count > 1 ? String(parts.path.dropFirst()).removingPercentEncoding : user
        }
        if let user { arguments += ["--username", user] }
        arguments += ["--dbname", database ?? "postgres", "--no-password"]
        var environment = ProcessInfo.processInfo.environment
        if let password = parts.password?.removingPercentEncoding { environment["PGPASSWORD"] = password }
        if let mode = parts.queryItems?.last(where: { ["sslmode", "tlsmode", "ssl", "tls"].contains($0.name.lowercased()) })?.value {
            environment["PGSSLMODE"] = ["true": "require", "false": "disable"][mode] ?? mode
        }
        return Connection(arguments: arguments, environment: environment)
    }

    /// `user@host:port/database`, without the password.
    static func describe(_ url: String) -> String {
        guard let parts = URLComponents(string: url) else { return "the database" }
        if parts.scheme?.lowercased().hasSuffix("+uds") == true {
            return "\(parts.user.map { $0 + "@" } ?? "")\(parts.path)#\(parts.fragment ?? parts.user ?? "")"
        }
        return "\(parts.user.map { $0 + "@" } ?? "")\(parts.host ?? "")\(parts.port.map { ":\($0)" } ?? "")\(parts.path)"
    }

    static func dump(url: String, to file: URL) async throws {
        let connection = try connection(url)
        try await run(
            "pg_dump", ["--format=custom", "--no-owner", "--no-privileges", "--file", file.path] + connection.arguments, connection.environment)
    }

    /// That `file` is an archive this machine's `pg_restore` can read, before anything is dropped.
    static func check(_ file: URL, url: String) async throws {
        let connection = try connection(url)
        try await run("pg_restore", ["--list", file.path], connection.environment)
    }

    /// Into an empty database, in one transaction.
    static func restore(url: String, from file: URL) async throws {
        let connection = try connection(url)
        let options = ["--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error"]
        try await run("pg_restore", options + connection.arguments + [file.path], connection.environment)
    }

    static func run(_ tool: String, _ arguments: [String], _ environment: [String: String]) async throws {
        let path = (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map { "\($0)/\(tool)" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let path else {
            throw Backup.Failure(description: "\(tool) not found: install PostgreSQL's client tools (apt-get install postgresql-client)")
        }
        let (status, errors) = try await runBlockingThrowing { () throws -> (Int32, String) in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: path)
            process.arguments = arguments
            process.environment = environment
            let stderr = Pipe()
            process.standardError = stderr
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            let output = stderr.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: output.prefix(4000), as: UTF8.self))
        }
        guard status == 0 else {
            throw Backup.Failure(description: "\(tool) failed (exit \(status)): \(errors.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
    }
}

import ArgumentParser
import CadenzaServer
import Foundation

/// Options every command shares; each maps to the `CADENZA_*` variable of the same meaning.
struct CommonOptions: ParsableArguments {
    @Option(help: "Data directory (env CADENZA_DATA_DIR, default ./data).") var dataDir: String?
    @Option(help: "postgres:// URL selects PostgreSQL (env CADENZA_DATABASE_URL).") var databaseURL: String?
    @Option(help: "Config file of KEY=VALUE lines (env CADENZA_CONFIG).") var config: String?
    @Option(help: "Log level (env CADENZA_LOG_LEVEL).") var logLevel: String?

    func flags() -> [String: String] {
        var flags: [String: String] = [:]
        flags["CADENZA_DATA_DIR"] = dataDir
        flags["CADENZA_DATABASE_URL"] = databaseURL
        flags["CADENZA_CONFIG"] = config
        flags["CADENZA_LOG_LEVEL"] = logLevel
        return flags
    }

    func settings(extra: [String: String] = [:]) throws -> Settings {
        do {
            let settings = try Settings.load(flags: flags().merging(extra) { _, new in new }, sections: Features.settingsSections)
            CadenzaLogging.bootstrap(settings.logFormat, traced: settings.otlpEndpoint != nil)
            return settings
        } catch let error as SettingsError {
            throw ValidationError(error.description)
        }
    }
}

func printLines(_ lines: [String]) {
    lines.forEach { print($0) }
}

@main
struct Cadenza: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cadenza",
        abstract: "A self-hosted, multi-user music platform.",
        discussion: "Environment variables:\n"
            + (Settings.documentedKeys + Features.settingsSections.flatMap { $0.keys }).map { "  \($0.key)  \($0.help)" }.joined(separator: "\n"),
        subcommands: [
            Serve.self, Playout.self, Worker.self, Migrate.self, Scan.self, Tags.self, UserCommand.self, StationCommand.self, JobsCommand.self,
            MailCommand.self, BackupCommand.self, RestoreCommand.self,
        ],
        defaultSubcommand: Serve.self
    )

    /// Swift tasks run on the NIO event loops (installed before any other async work), so a
    /// database or HTTP completion resumes its task without a hop to another thread pool.
    static func main() async {
        CadenzaRuntime.useEventLoopsForConcurrency()
        CadenzaRuntime.raiseOpenFileLimit()
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the server (all roles in one process by default).")
    @OptionGroup var common: CommonOptions
    @Option(help: "Listen address (env CADENZA_HOST, default 127.0.0.1).") var host: String?
    @Option(help: "Listen port (env CADENZA_PORT, default 4040).") var port: String?
    @Option(help: "Comma list of api,worker,scheduler (env CADENZA_ROLES).") var roles: String?
    @Option(name: .customLong("music-dir"), help: "A music folder for the instance library (repeatable).") var musicDirs: [String] = []

    func run() async throws {
        var extra: [String: String] = [:]
        extra["CADENZA_HOST"] = host
        extra["CADENZA_PORT"] = port
        extra["CADENZA_ROLES"] = roles
        if !musicDirs.isEmpty { extra["CADENZA_MUSIC_DIRS"] = musicDirs.joined(separator: ":") }
        let settings = try common.settings(extra: extra)
        Metrics.bootstrap()
        try await CadenzaApp.serve(settings: settings)
    }
}

struct Playout: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Air one radio station in a process of its own, serving its mounts on its own port.",
        discussion: """
            Run it with CADENZA_RADIO_PLAYOUT=external on the servers, so that they leave the station to it, and route \
            /listen/SLUG/ and /hls/SLUG/ to its port. A second one for the same station (on another machine, or with \
            another --node) stands by and takes over within about two seconds of the first one dying.
            """)
    @OptionGroup var common: CommonOptions
    @Option(help: "The station's slug.") var station: String
    @Option(help: "Listen address (env CADENZA_HOST, default 127.0.0.1).") var host: String?
    @Option(help: "Port for the station's mounts and HLS (default 8010).") var port: String = "8010"
    @Option(name: .customLong("live-port"), help: "Port DJs' source clients connect to (env CADENZA_RADIO_LIVE_PORT, 0 for none).")
    var livePort: String?
    @Option(help: "This playout's name among the station's playouts (env CADENZA_NODE_NAME, default the host name).") var node: String?

    func run() async throws {
        var extra: [String: String] = ["CADENZA_ROLES": "playout", "CADENZA_RADIO_STATION": station, "CADENZA_PORT": port]
        extra["CADENZA_HOST"] = host
        extra["CADENZA_RADIO_LIVE_PORT"] = livePort
        extra["CADENZA_NODE_NAME"] = node
        let settings = try common.settings(extra: extra)
        Metrics.bootstrap()
        try await CadenzaApp.serve(settings: settings)
    }
}

struct Worker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run job workers and the scheduler; with --port, also /metrics, /healthz and /readyz on that port.")
    @OptionGroup var common: CommonOptions
    @Option(help: "Port for /metrics, /healthz and /readyz (env CADENZA_WORKER_PORT; default none).") var port: String?

    func run() async throws {
        var extra: [String: String] = [:]
        extra["CADENZA_WORKER_PORT"] = port
        let settings = try common.settings(extra: extra)
        Metrics.bootstrap()
        try await CadenzaApp.work(settings: settings)
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply database migrations and exit.")
    @OptionGroup var common: CommonOptions

    func run() async throws {
        printLines(try await AdminCommands.migrate(settings: try common.settings()))
    }
}

struct Scan: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Scan library folders: queue scans for the workers, or run them here with --now.")
    @OptionGroup var common: CommonOptions
    @Flag(help: "Re-read every file, not only changed ones.") var full = false
    @Flag(help: "Scan in this process and print the results instead of queueing.") var now = false
    @Option(name: .customLong("music-dir"), help: "Add this folder to the instance library first (repeatable).") var musicDirs: [String] = []

    func run() async throws {
        let settings = try common.settings()
        printLines(try await AdminCommands.scan(settings: settings, addFolders: musicDirs, full: full, inline: now))
    }
}

struct Tags: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the tags Cadenza reads from files, or with --rate, how fast TagLib reads a whole folder.")
    @Flag(help: "Read every audio file under the one folder given and print files per second.") var rate = false
    @Argument(help: "Audio files (or one folder with --rate).") var paths: [String]

    func run() async throws {
        if rate {
            guard paths.count == 1 else { throw ValidationError("--rate takes one folder") }
            let result = await AdminCommands.tagReadRate(root: paths[0])
            print(
                String(
                    format: "%d files (%d unreadable) in %.3f s: %.0f files/s", result.files, result.failed, result.seconds,
                    Double(result.files) / max(result.seconds, 0.000_001)))
        } else {
            printLines(AdminCommands.describeTags(paths: paths))
        }
    }
}

/// Reads a password without putting it on the command line (where `ps` would show it).
func readPassword(prompt: String) throws -> String {
    if isatty(STDIN_FILENO) != 0 {
        guard let raw = getpass(prompt) else { throw ValidationError("no password given") }
        return String(cString: raw)
    }
    guard let line = readLine(strippingNewline: true), !line.isEmpty else {
        throw ValidationError("no password on standard input")
    }
    return line
}

struct StationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "station", abstract: "Manage radio stations (a running server puts a new one on air within seconds).",
        subcommands: [Create.self, List.self, Delete.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a station airing the autoDJ rotation over the instance's libraries (or the owner's).")
        @OptionGroup var common: CommonOptions
        @Argument(help: "Slug: lower-case letters, digits and hyphens; the mount is /listen/SLUG/radio.mp3.") var slug: String
        @Option(help: "Display name.") var name: String
        @Option(help: "Description.") var description = ""
        @Option(help: "IANA time zone of the station's schedule.") var timeZone = "UTC"
        @Option(help: "public, unlisted or private.") var visibility = "public"
        @Option(help: "Owning user (default: the instance; plays every non-private library).") var owner: String?
        @Option(help: "Outputs, comma-separated: mp3, aac, hls.") var outputs = "mp3"
        @Option(help: "Crossfade between tracks in milliseconds (0 to 10000).") var crossfadeMs = 0
        @Option(help: "Bitrate of every output in kb/s: 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256 or 320.") var bitrate = 128
        @Option(
            help:
                "Also relay to an external server (repeat for up to 4): icecast://source:password@host:port/mount or shoutcast://:password@host:port; ?format=aac for AAC."
        ) var pushUrl: [String] = []

        func run() async throws {
            printLines(
                try await AdminCommands.createStation(
                    settings: try common.settings(), slug: slug, name: name, description: description, timeZone: timeZone,
                    visibility: visibility, owner: owner,
                    outputs: outputs.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }, crossfadeMs: crossfadeMs,
                    bitrate: bitrate, pushURLs: pushUrl))
        }
    }

    struct List: AsyncParsableCommand {
        @OptionGroup var common: CommonOptions
        func run() async throws { printLines(try await AdminCommands.listStations(settings: try common.settings())) }
    }

    struct Delete: AsyncParsableCommand {
        @OptionGroup var common: CommonOptions
        @Argument(help: "Slug.") var slug: String
        func run() async throws { printLines(try await AdminCommands.deleteStation(settings: try common.settings(), slug: slug)) }
    }
}

struct MailCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mail", abstract: "Outgoing mail (CADENZA_SMTP_URL, CADENZA_MAIL_FROM).", subcommands: [Test.self])

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Send a test message and print what the mail server answered.")
        @OptionGroup var common: CommonOptions
        @Argument(help: "Where to send it.") var address: String
        func run() async throws { printLines(try await AdminCommands.mailTest(settings: try common.settings(), address: address)) }
    }
}

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Manage accounts (the password is read from the terminal or standard input).",
        subcommands: [Create.self, Passwd.self, SubsonicPassword.self, List.self, Delete.self])

    struct SubsonicPassword: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "subsonic-password",
            abstract: "Set the password the user's Subsonic apps sign in with.")
        @OptionGroup var common: CommonOptions
        @Argument(help: "Username.") var username: String

        func run() async throws {
            let settings = try common.settings()
            let password = try readPassword(prompt: "Subsonic password for \(username): ")
            printLines(try await AdminCommands.setSubsonicPassword(settings: settings, username: username, password: password))
        }
    }

    struct Create: AsyncParsableCommand {
        @OptionGroup var common: CommonOptions
        @Flag(help: "Make the user an administrator.") var admin = false
        @Argument(help: "Username.") var username: String

        func run() async throws {
            let settings = try common.settings()
            let password = try readPassword(prompt: "Password for \(username): ")
            printLines(try await AdminCommands.createUser(settings: settings, username: username, password: password, admin: admin))
        }
    }

    struct Passwd: AsyncParsableCommand {
        @OptionGroup var common: CommonOptions
        @Argument(help: "Username.") var username: String

        func run() async throws {
            let settings = try common.settings()
            let password = try readPassword(prompt: "New password for \(username): ")
            printLines(try await AdminCommands.setPassword(settings: settings, username: username, password: password))
        }
    }

    struct List: AsyncParsableCommand {
        @OptionGroup var common: CommonOptions
        func run() async throws { printLines(try await AdminCommands.listUsers(settings: try common.settings())) }
    }

    struct Delete: AsyncParsableCommand {
        @OptionGroup var common: CommonOptions
        @Argument(help: "Username.") var username: String
        func run() async throws {
            printLines(try await AdminCommands.deleteUser(settings: try common.settings(), username: username))
        }
    }
}

struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs", abstract: "Inspect and manage the job queue.", subcommands: [List.self, Run.self, Retry.self, Cancel.self])

    struct List: AsyncParsableCommand {
        @OptionGroup var common: CommonOptions
        @Option(help: "queued, running, succeeded, failed or cancelled.") var state: String?
        @Option(help: "How many, newest first.") var limit: Int = 50
        func run() async throws {
            guard (1...10_000).contains(limit) else { throw ValidationError("--limit must be 1...10000") }
            printLines(try await AdminCommands.listJobs(settings: try common.settings(), state: state, limit: limit))
        }
    }

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Queue a periodic task now rather than at its next time (an unknown name lists them).")
        @OptionGroup var common: CommonOptions
        @Argument(help: "The task, e.g. discovery-made-for-you or discovery-model.") var task: String
        func run() async throws { printLines(try await AdminCommands.runPeriodic(settings: try common.settings(), name: task)) }
    }

    struct Retry: AsyncParsableCommand {
        @OptionGroup var common: CommonOptions
        @Argument(help: "Job id.") var id: Int64
        func run() async throws { printLines(try await AdminCommands.retryJob(settings: try common.settings(), id: id)) }
    }

    struct Cancel: AsyncParsableCommand {
        @OptionGroup var common: CommonOptions
        @Argument(help: "Job id.") var id: Int64
        func run() async throws { printLines(try await AdminCommands.cancelJob(settings: try common.settings(), id: id)) }
    }
}

struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Back up the database (a live snapshot), the secret key, uploads, artwork and recordings into a new folder, with SHA-256 sums.")
    @OptionGroup var common: CommonOptions
    @Option(help: "The folder to create (it must not exist or be empty).") var to: String

    func run() async throws {
        printLines(try await withOperatorErrors { try await Backup.backup(settings: try common.settings(), to: to) })
    }
}

struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore a backup made by `cadenza backup` (every node stopped); its checksums are verified first.")
    @OptionGroup var common: CommonOptions
    @Option(help: "The backup folder.") var from: String
    @Flag(help: "Overwrite the database that is there.") var replace = false

    func run() async throws {
        printLines(try await withOperatorErrors { try await Backup.restore(settings: try common.settings(), from: from, replace: replace) })
    }
}

/// A backup or restore fails with what went wrong in full: the database's own words included,
/// which its errors hide by default.
func withOperatorErrors(_ body: () async throws -> [String]) async throws -> [String] {
    do {
        return try await body()
    } catch let failure as AdminCommands.Failure {
        throw ValidationError(failure.description)
    } catch let error as ValidationError {
        throw error
    } catch {
        throw ValidationError(String(reflecting: error))
    }
}

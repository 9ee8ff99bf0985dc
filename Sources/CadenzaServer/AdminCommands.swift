import CadenzaTags
import Fluent
import SQLKit
import Vapor

/// What the `cadenza user|jobs|migrate` commands do, against the configured database without
/// starting the HTTP server. Each returns the lines to print.
public enum AdminCommands {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    static func withApp<T>(_ settings: Settings, migrate: Bool = true, _ body: (Application) async throws -> T) async throws -> T {
        let app = try await CadenzaApp.make(settings: settings, migrate: migrate)
        do {
            let result = try await body(app)
            try await app.asyncShutdown()
            return result
        } catch {
            try? await app.asyncShutdown()
            if let api = error as? APIError { throw Failure(description: api.message) }
            throw error
        }
    }

    public static func migrate(settings: Settings) async throws -> [String] {
        try await withApp(settings) { app in ["migrations applied (\(try app.cadenza.migrationCount) known)"] }
    }

    public static func scan(settings: Settings, addFolders: [String], full: Bool, inline: Bool) async throws -> [String] {
        try await withApp(settings) { app in
            var lines: [String] = []
            if !addFolders.isEmpty {
                let absolute = addFolders.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
                try await Libraries.ensureMusicDirectories(absolute, on: app.sql)
            }
            for library in try await Libraries.all(on: app.sql) where library.kind != .remote {
                for folder in try await Libraries.folders(libraryID: library.id, on: app.sql) {
                    if inline {
                        let s = try await LibraryScanner.scan(folderID: folder.id, full: full, app: app, logger: app.logger)
                        lines.append(
                            "\(folder.path): \(s.seen) seen, \(s.added) added, \(s.updated) updated, \(s.moved) moved, "
                                + "\(s.removed) removed, \(s.failed) failed, \(s.unchanged) unchanged in \(s.durationMs) ms")
                    } else {
                        let job = try JobQueue.NewJob(
                            kind: LibraryScanner.jobKind, payload: LibraryScanner.Payload(folderId: folder.id, full: full),
                            priority: 5, maxAttempts: 3, uniqueKey: "scan:folder:\(folder.id)")
                        let id = try await JobQueue.enqueue(job, on: app.sql)
                        lines.append(id.map { "\(folder.path): scan queued as job \($0)" } ?? "\(folder.path): a scan is already queued")
                    }
                }
            }
            return lines.isEmpty ? ["no library folders; add one with --music-dir"] : lines
        }
    }

    /// Reads every audio file under `root` with TagLib on all cores, without touching a database:
    /// the ceiling a scan can reach. Returns (files read, files failed, seconds).
    public static func tagReadRate(root: String) async -> (files: Int, failed: Int, seconds: Double) {
        let start = ContinuousClock.now
        let walk = DirectoryWalker.walk(root: URL(fileURLWithPath: root).standardizedFileURL.path)
        let reads = await LibraryScanner.read(walk.audio, root: URL(fileURLWithPath: root).standardizedFileURL.path)
        let (seconds, attos) = (ContinuousClock.now - start).components
        return (reads.count, reads.filter { $0.tags == nil }.count, Double(seconds) + Double(attos) / 1e18)
    }

    /// Tags of single files as JSON lines, for checking what Cadenza reads from a file.
    public static func describeTags(paths: [String]) -> [String] {
        paths.map { path in
            do {
                let tags = try TagReader.read(path: path)
                let fields: [String: JSONValue] = [
                    "path": .string(path), "title": tags.title.map(JSONValue.string) ?? .null,
                    "artists": .array(tags.artists.map(JSONValue.string)), "album": tags.album.map(JSONValue.string) ?? .null,
                    "albumArtists": .array(tags.albumArtists.map(JSONValue.string)), "genres": .array(tags.genres.map(JSONValue.string)),
                    "track": tags.trackNumber.map { .number(Double($0)) } ?? .null, "disc": tags.discNumber.map { .number(Double($0)) } ?? .null,
                    "year": tags.year.map { .number(Double($0)) } ?? .null, "format": .string(tags.format),
                    "durationMs": .number(Double(tags.durationMs)), "bitrate": .number(Double(tags.bitrateKbps)),
                    "recordingMbid": tags.recordingMBID.map(JSONValue.string) ?? .null,
                    "albumMbid": tags.albumMBID.map(JSONValue.string) ?? .null, "hasPicture": .bool(tags.hasEmbeddedPicture),
                ]
                return (try? JSONValue.text(fields)) ?? "{}"
            } catch {
                return (try? JSONValue.text(["path": path, "error": "\(error)"])) ?? "{}"
            }
        }
    }

    public static func createUser(settings: Settings, username: String, password: String, admin: Bool) async throws -> [String] {
        try await withApp(settings) { app in
            let user = try await UsersController.create(username: username, password: password, role: admin ? .admin : .user, app: app)
            return ["created \(user.role.rawValue) \(user.username) (id \(try user.requireID()))"]
        }
    }

    public static func setPassword(settings: Settings, username: String, password: String) async throws -> [String] {
        try await withApp(settings) { app in
            try User.validate(password: password)
            guard let user = try await User.find(username: username, on: app.db) else {
                throw Failure(description: "no user named \(username)")
            }
            user.passwordHash = try await app.hashPassword(password)
            user.updatedAt = Clock.nowMillis()
            try await user.save(on: app.db)
            try await SessionStore.deleteAll(userID: try user.requireID(), on: app.sql)
            try await app.tokenCache.forget(userID: try user.requireID(), on: app.sql)
            return ["password changed for \(user.username); their web sessions were signed out"]
        }
    }

    public static func setSubsonicPassword(settings: Settings, username: String, password: String) async throws -> [String] {
        try await withApp(settings) { app in
            guard let user = try await User.find(username: username, on: app.db) else { throw Failure(description: "no user named \(username)") }
            guard (8...256).contains(password.count) else { throw Failure(description: "Subsonic passwords are 8 to 256 characters") }
            try await SubsonicAuth.setSubsonicPassword(userID: try user.requireID(), password: password, app: app, on: app.sql)
            return ["Subsonic password set for \(user.username)"]
        }
    }

    public static func listUsers(settings: Settings) async throws -> [String] {
        try await withApp(settings) { app in
            let users = try await User.query(on: app.db).sort(\.$id).all()
            return ["ID\tROLE\tUSERNAME"] + users.map { "\($0.id ?? 0)\t\($0.role.rawValue)\t\($0.username)" }
        }
    }

    public static func deleteUser(settings: Settings, username: String) async throws -> [String] {
        try await withApp(settings) { app in
            guard let user = try await User.find(username: username, on: app.db) else {
                throw Failure(description: "no user named \(username)")
            }
            try await UsersController.delete(user, on: app.db)
            try await app.tokenCache.forget(userID: try user.requireID(), on: app.sql)
            return ["deleted \(user.username)"]
        }
    }

    public static func listJobs(settings: Settings, state: String?, limit: Int) async throws -> [String] {
        var parsed: JobRecord.State?
        if let state {
            guard let value = JobRecord.State(rawValue: state) else {
                throw Failure(description: "unknown state \(state); use \(JobRecord.State.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            parsed = value
        }
        return try await withApp(settings) { app in
            let jobs = try await JobQueue.list(state: parsed, beforeID: nil, limit: limit, on: app.sql)
            return ["ID\tSTATE\tKIND\tATTEMPTS\tLAST ERROR"]
                + jobs.map {
                    "\($0.id)\t\($0.state.rawValue)\t\($0.kind)\t\($0.attempts)/\($0.maxAttempts)\t\($0.lastError?.prefix(120) ?? "")"
                }
        }
    }

    /// Queues a periodic task now rather than at its next time (its next time stays as it was).
    public static func runPeriodic(settings: Settings, name: String) async throws -> [String] {
        try await withApp(settings) { app in
            let tasks = try app.cadenza.features.flatMap { $0.periodicTasks(settings) }
            guard let task = tasks.first(where: { $0.name == name }) else {
                throw Failure(description: "no periodic task \(name); there are: \(tasks.map(\.name).sorted().joined(separator: ", "))")
            }
            guard let id = try await Scheduler.queueNow(task, on: app.sql) else { return ["\(task.name) is already queued or running"] }
            return ["queued \(task.name) as job \(id) (\(task.kind)); a running worker takes it within seconds"]
        }
    }

    public static func retryJob(settings: Settings, id: Int64) async throws -> [String] {
        try await changeJob(settings: settings, id: id, verb: "requeued") { try await JobQueue.retry(id: id, on: $0) }
    }

    public static func cancelJob(settings: Settings, id: Int64) async throws -> [String] {
        try await changeJob(settings: settings, id: id, verb: "cancelled") { try await JobQueue.cancel(id: id, on: $0) }
    }

    private static func changeJob(
        settings: Settings, id: Int64, verb: String, _ change: @escaping (any SQLDatabase) async throws -> Void
    ) async throws -> [String] {
        try await withApp(settings) { app in
            do {
                try await change(app.sql)
            } catch let error as JobQueue.ChangeError {
                switch error {
                case .notFound: throw Failure(description: "no job \(id)")
                case .wrongState(let state): throw Failure(description: "job \(id) is \(state.rawValue)")
                case .duplicateLive: throw Failure(description: "an identical job is already queued or running")
                }
            }
            return ["job \(id) \(verb)"]
        }
    }
}

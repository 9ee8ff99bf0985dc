@testable import CadenzaServer
import Fluent
import Foundation
import SQLKit
import Testing
import Vapor
import VaporTesting

/// Which database the suite runs on: `CADENZA_TEST_DATABASE_URL` (a PostgreSQL server URL; each
/// test gets a fresh database on it) or, by default, a fresh SQLite file per test.
enum TestDatabase {
    static var postgresURL: String? {
        ProcessInfo.processInfo.environment["CADENZA_TEST_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    static var isPostgres: Bool { postgresURL != nil }

    /// Swift Testing starts every test at once; each holds a database and a pool on the one test
    /// server, whose `max_connections` they would exhaust ("too many clients already").
    static let gate = Gate(slots: 16)

    /// Creates an empty database on the test server and returns its URL.
    static func createPostgresDatabase() async throws -> (url: String, name: String) {
        guard let base = postgresURL, var components = URLComponents(string: base) else { throw TestError("no PostgreSQL URL") }
        let name = "cadenza_t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        try await withAdmin { try await $0.raw("CREATE DATABASE \(unsafeRaw: name)").run() }
        components.path = "/" + name
        return (components.string ?? base, name)
    }

    static func dropPostgresDatabase(_ name: String) async throws {
        try await withAdmin { try await $0.raw("DROP DATABASE IF EXISTS \(unsafeRaw: name) WITH (FORCE)").run() }
    }

    private static func withAdmin(_ body: (any SQLDatabase) async throws -> Void) async throws {
        guard let base = postgresURL else { return }
        let settings = try Settings.load(flags: ["CADENZA_DATABASE_URL": base, "CADENZA_LOG_LEVEL": "warning"], environment: [:])
        let app = try await Application.make(.testing)
        do {
            app.logger.logLevel = .warning
            try app.configureDatabase(settings)
            try await body(app.sql)
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
        try await app.asyncShutdown()
    }
}

/// A counting semaphore for async tests.
actor Gate {
    private var free: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(slots: Int) { free = slots }

    func enter() async {
        if free > 0 {
            free -= 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func leave() {
        if waiting.isEmpty { free += 1 } else { waiting.removeFirst().resume() }
    }
}

struct TestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Runs `body` with a configured, migrated application on a database of its own.
/// `roles` start background services (workers, event hub) as a real process would; `features`
/// are plugged in after the application's own.
func withApp(
    roles: Set<Settings.Role> = [],
    settings extra: [String: String] = [:],
    features: [any Feature] = [],
    _ body: (Application) async throws -> Void
) async throws {
    guard TestDatabase.isPostgres else {
        return try await withFreshApp(roles: roles, settings: extra, features: features, body)
    }
    await TestDatabase.gate.enter()
    do {
        try await withFreshApp(
            roles: roles, settings: ["CADENZA_DATABASE_CONNECTIONS": "8"].merging(extra) { _, new in new }, features: features, body)
    } catch {
        await TestDatabase.gate.leave()
        throw error
    }
    await TestDatabase.gate.leave()
}

private func withFreshApp(
    roles: Set<Settings.Role>,
    settings extra: [String: String],
    features: [any Feature],
    _ body: (Application) async throws -> Void
) async throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cadenza-test-\(UUID().uuidString)")
    var flags = [
        "CADENZA_DATA_DIR": dir.path,
        "CADENZA_BCRYPT_COST": "4",
        "CADENZA_LOG_LEVEL": "warning",
        "CADENZA_JOB_POLL_SECONDS": "0.05",
        "CADENZA_EVENT_POLL_SECONDS": "0.05",
    ]
    var pgName: String?
    if TestDatabase.isPostgres {
        let (url, name) = try await TestDatabase.createPostgresDatabase()
        flags["CADENZA_DATABASE_URL"] = url
        pgName = name
    }
    flags.merge(extra) { _, new in new }
    let settings = try Settings.load(flags: flags, environment: [:], sections: Features.settingsSections)
    let app: Application
    do {
        app = try await CadenzaApp.make(settings: settings, environment: .testing, features: Features.all + features)
    } catch {
        if let pgName { try? await TestDatabase.dropPostgresDatabase(pgName) }
        try? FileManager.default.removeItem(at: dir)
        throw error
    }
    do {
        try await CadenzaApp.startServices(app, roles: roles)
        try await body(app)
    } catch {
        await CadenzaApp.stopServices(app)
        try? await app.asyncShutdown()
        if let pgName { try? await TestDatabase.dropPostgresDatabase(pgName) }
        try? FileManager.default.removeItem(at: dir)
        throw error
    }
    await CadenzaApp.stopServices(app)
    try await app.asyncShutdown()
    if let pgName { try await TestDatabase.dropPostgresDatabase(pgName) }
    try? FileManager.default.removeItem(at: dir)
}

extension Application {
    /// Creates a user directly and returns a bearer token for them.
    func makeUser(_ username: String, password: String = "password123", role: User.Role = .user) async throws -> (id: Int64, token: String) {
        let user = try await UsersController.create(username: username, password: password, role: role, app: self)
        let token = try await APITokenStore.create(userID: try user.requireID(), name: "test", expiresAt: nil, on: sql)
        return (try user.requireID(), token.token ?? "")
    }
}

extension HTTPHeaders {
    static func bearer(_ token: String) -> HTTPHeaders {
        ["Authorization": "Bearer \(token)", "Content-Type": "application/json"]
    }
}

/// Polls until `condition` holds or `timeout` passes; for asserting on background work.
func eventually(timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(25))
    }
    return try await condition()
}

/// The decoded JSON error body, for asserting on the API's error format.
struct ErrorBody: Decodable {
    struct Detail: Decodable { var code: String; var message: String }
    var error: Detail
}

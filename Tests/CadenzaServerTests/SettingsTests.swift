@testable import CadenzaServer
import Foundation
import Logging
import NIOPosix
import Testing
import Vapor

@Suite struct SettingsTests {
    /// PostgreSQL over TCP or over its Unix socket (the socket file, as the driver takes it);
    /// anything else is refused at start with the setting named.
    @Test func databaseURLsOverTCPAndUnixSocketsAreTakenOthersRefused() {
        for good in [
            "postgres://cadenza:pw@db.example:5432/cadenza", "postgresql://cadenza@db.example/cadenza",
            "postgres+uds://cadenza@localhost/run/postgresql/.s.PGSQL.5432#cadenza", "postgresql+uds://cadenza@/tmp/.s.PGSQL.6000",
        ] {
            #expect(Settings.isPostgresURL(good), "\(good)")
            #expect((try? Settings.load(environment: ["CADENZA_DATABASE_URL": good]))?.databaseURL == good)
        }
        for bad in [
            "mysql://x", "postgres:///cadenza", "postgres+uds://localhost/run/postgresql/.s.PGSQL.5432",
            "postgres+uds://cadenza@db.example/run/postgresql/.s.PGSQL.5432", "postgres+uds://cadenza@localhost/run/postgresql",
            "postgres+uds://cadenza@localhost:5432/run/.s.PGSQL.5432",
        ] {
            #expect(!Settings.isPostgresURL(bad), "\(bad)")
            #expect(throws: SettingsError.self, "\(bad)") { try Settings.load(environment: ["CADENZA_DATABASE_URL": bad]) }
        }
    }

    @Test func defaultsMatchTheSubsonicConvention() throws {
        let settings = try Settings.load(flags: [:], environment: [:])
        #expect(settings.host == "127.0.0.1")
        #expect(settings.port == 4040)
        #expect(settings.databaseURL == nil)
        #expect(settings.roles == [.api, .worker, .scheduler])
        #expect(settings.sqlitePath.hasSuffix("data/cadenza.sqlite"))
    }

    @Test func flagsBeatEnvironmentWhichBeatsTheConfigFile() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cadenza-\(UUID()).conf")
        try "CADENZA_PORT=1111\nCADENZA_HOST=0.0.0.0\n# comment\nCADENZA_LOG_LEVEL=\"debug\"\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let settings = try Settings.load(
            flags: ["CADENZA_PORT": "3333", "CADENZA_CONFIG": file.path],
            environment: ["CADENZA_PORT": "2222", "CADENZA_HOST": "10.0.0.1"])
        #expect(settings.port == 3333)
        #expect(settings.host == "10.0.0.1")
        #expect(settings.logLevel == .debug)
    }

    @Test func everyProblemIsReportedAtOnce() throws {
        do {
            _ = try Settings.load(
                flags: [:],
                environment: [
                    "CADENZA_PORT": "99999", "CADENZA_ROLES": "api,dj", "CADENZA_DATABASE_URL": "mysql://x",
                    "CADENZA_BCRYPT_COST": "two", "CADENZA_SECURE_COOKIES": "maybe",
                ])
            Issue.record("invalid settings were accepted")
        } catch let error as SettingsError {
            #expect(error.problems.count == 5)
            #expect(error.description.contains("CADENZA_PORT"))
            #expect(error.description.contains("unknown role 'dj'"))
        }
    }

    @Test func aConnectionBudgetIsSpreadOverTheEventLoopsWithTwoEachAtLeast() throws {
        let loops = MultiThreadedEventLoopGroup(numberOfThreads: 4)
        defer { try? loops.syncShutdownGracefully() }
        func perLoop(_ total: String?) throws -> Int {
            let settings = try Settings.load(flags: total.map { ["CADENZA_DATABASE_CONNECTIONS": $0] } ?? [:], environment: [:])
            return Application.connectionsPerLoop(settings, loops: loops)
        }
        #expect(try perLoop(nil) == 8)
        #expect(try perLoop("10") == 3)
        #expect(try perLoop("4") == 2)
        #expect(try perLoop("64") == 16)
        #expect(throws: SettingsError.self) { try perLoop("0") }
        #expect(throws: SettingsError.self) { try perLoop("many") }
    }

    @Test func anOTLPEndpointMustBeAnHTTPURLAndLosesItsTrailingSlash() throws {
        #expect(try Settings.load(flags: [:], environment: [:]).otlpEndpoint == nil)
        let set = try Settings.load(flags: ["CADENZA_OTLP_ENDPOINT": "http://collector:4318/"], environment: [:])
        #expect(set.otlpEndpoint == "http://collector:4318")
        for bad in ["collector:4318", "grpc://collector:4317", "http://"] {
            #expect(throws: SettingsError.self) { try Settings.load(flags: ["CADENZA_OTLP_ENDPOINT": bad], environment: [:]) }
        }
    }

    @Test func unknownConfigFileKeysAreRejected() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cadenza-\(UUID()).conf")
        try "CADENZA_PROT=1\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        #expect(throws: SettingsError.self) { try Settings.load(flags: [:], environment: [:], configFile: file.path) }
    }
}

@Suite struct SettingsSectionTests {
    @Test func aFeatureSectionIsReadFromTheSameSourcesAndItsProblemsAreListedWithTheRest() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cadenza-\(UUID()).conf")
        try "CADENZA_LISTENS_RATE_LIMIT=7\nCADENZA_LASTFM_UNKNOWN_KEYS=reject\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let settings = try Settings.load(
            flags: ["CADENZA_CONFIG": file.path], environment: ["CADENZA_LISTENS_RATE_WINDOW": "60"],
            sections: [ListensSettings.self])
        let listens = try settings.section(ListensSettings.self)
        #expect(listens.rateLimit == 7)
        #expect(listens.rateWindow == 60)
        #expect(listens.lastfmAcceptUnknownKeys == false)

        do {
            _ = try Settings.load(
                flags: [:], environment: ["CADENZA_PORT": "-1", "CADENZA_LISTENS_RATE_LIMIT": "lots"],
                sections: [ListensSettings.self])
            Issue.record("invalid settings were accepted")
        } catch let error as SettingsError {
            #expect(error.problems.count == 2)
            #expect(error.description.contains("CADENZA_LISTENS_RATE_LIMIT=lots"))
        }
    }

    @Test func aSectionsKeysAreKnownToTheConfigFileOnlyWhenItsFeatureIsThere() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cadenza-\(UUID()).conf")
        try "CADENZA_LISTENS_RATE_LIMIT=7\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        #expect(throws: SettingsError.self) { try Settings.load(flags: [:], environment: [:], configFile: file.path) }
        _ = try Settings.load(flags: [:], environment: [:], configFile: file.path, sections: [ListensSettings.self])
    }

    @Test func theSecretKeyMayComeFromTheConfigFileAndMustBe32Bytes() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cadenza-\(UUID()).conf")
        let key = Data(repeating: 7, count: 32).base64EncodedString()
        try "CADENZA_SECRET_KEY=\(key)\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        #expect(try Settings.load(flags: [:], environment: [:], configFile: file.path).secretKey == key)
        #expect(throws: SettingsError.self) {
            try Settings.load(flags: [:], environment: ["CADENZA_SECRET_KEY": Data(repeating: 7, count: 16).base64EncodedString()])
        }
    }
}

@Suite struct DeploymentExampleTests {
    /// The reference deployment's settings file is a valid config file of known keys with valid
    /// values: only its music folder (not on this machine) and the placeholder secret key, which
    /// stops a copy used without editing at start, are refused.
    @Test func theSystemdSettingsExampleLoads() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let example = root.appendingPathComponent("deploy/systemd/cadenza.env.example").path
        do {
            let settings = try Settings.load(environment: [:], configFile: example, sections: Features.settingsSections)
            #expect(settings.usesPostgres && settings.logFormat == .json && settings.accessLog)
        } catch let error as SettingsError {
            #expect(error.problems.allSatisfy { $0.hasPrefix("music folder") || $0.hasPrefix("CADENZA_SECRET_KEY:") }, "\(error.problems)")
        }
    }
}

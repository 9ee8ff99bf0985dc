@testable import CadenzaServer
import Fluent
import Foundation
import NIOConcurrencyHelpers
import ServiceLifecycle
import SQLKit
import Testing
import Vapor
import VaporTesting

/// A feature written the way a new one would be: everything below lives in this one file, and
/// the application takes it in through the feature list alone.
struct GuestbookFeature: Feature {
    /// What the test watches from outside.
    final class Probe: Sendable {
        let serviceStarted = NIOLockedValueBox(false)
        let serviceStopped = NIOLockedValueBox(false)
    }

    struct Signed: Encodable, Sendable {
        var entryId: String
        var text: String
    }

    static let signed = EventType<Signed>("guestbook.signed", visibility: .instance, subjectType: "guestbook_entry")
    static let countKind = "guestbook.count"
    static let tidyKind = "guestbook.tidy"

    let probe: Probe
    var documentation = APIDocumentation(paths: [
        #""/guestbook": { "post": { "summary": "Sign the guestbook", "responses": { "201": { "description": "Signed" } } } }"#
    ])

    var name: String { "guestbook" }

    var apiDocumentation: APIDocumentation { documentation }

    var migrations: [any Migration] { [CreateGuestbook()] }

    var eventTypes: [EventDescriptor] { [Self.signed.descriptor] }

    struct CreateGuestbook: AsyncMigration {
        func prepare(on database: any Database) async throws {
            try await database.sql.raw(
                "CREATE TABLE guestbook_entries (id BIGINT PRIMARY KEY, text TEXT NOT NULL, counted INTEGER NOT NULL DEFAULT 0)"
            ).run()
            try await database.sql.raw("CREATE TABLE guestbook_mirror (event_id BIGINT NOT NULL, text TEXT NOT NULL)").run()
        }

        func revert(on database: any Database) async throws {
            try await database.sql.raw("DROP TABLE guestbook_mirror").run()
            try await database.sql.raw("DROP TABLE guestbook_entries").run()
        }
    }

    func configure(_ context: FeatureContext) throws {
        context.jobs.register(Self.countKind) { job in
            struct Payload: Decodable { var id: Int64 }
            let payload = try job.job.decodePayload(Payload.self)
            try await job.db.raw("UPDATE guestbook_entries SET counted = 1 WHERE id = \(bind: payload.id)").run()
        }
        context.jobs.register(Self.tidyKind) { _ in }
    }

    func periodicTasks(_ settings: Settings) -> [PeriodicTask] {
        [.init(name: "guestbook.tidy", interval: 3600, kind: Self.tidyKind)]
    }

    func routes(_ routes: FeatureRoutes) throws {
        routes.api.post("guestbook") { req async throws -> HTTPStatus in
            let user = try req.requireUser()
            struct Body: Decodable { var id: Int64; var text: String }
            let body = try req.content.decode(Body.self)
            try await req.db.writeTransaction { tx in
                try await tx.sql.raw("INSERT INTO guestbook_entries (id, text) VALUES (\(bind: body.id), \(bind: body.text))").run()
                struct Payload: Encodable { var id: Int64 }
                try await JobQueue.enqueue(try .init(kind: Self.countKind, payload: Payload(id: body.id)), on: tx.sql)
                try await EventStore.append(
                    Self.signed, payload: .init(entryId: String(body.id), text: body.text),
                    actorID: user.userID, subjectID: String(body.id), on: tx.sql)
            }
            return .created
        }
    }

    func services(_ context: ServiceContext) -> [any Service] {
        guard context.roles.contains(.worker) else { return [] }
        return [Watcher(probe: probe)]
    }

    func eventConsumers(_ services: AppServices) -> [EventConsumer] {
        [
            EventConsumer(name: "guestbook.mirror", types: [Self.signed.name], start: .beginning) { events, tx in
                for event in events {
                    try await tx.sql.raw("INSERT INTO guestbook_mirror (event_id, text) VALUES (\(bind: event.id), \(bind: event.payload))").run()
                }
            }
        ]
    }

    struct Watcher: Service {
        let probe: Probe
        func run() async throws {
            probe.serviceStarted.withLockedValue { $0 = true }
            try? await gracefulShutdown()
            probe.serviceStopped.withLockedValue { $0 = true }
        }
    }
}

@Suite struct FeaturePlugInTests {
    @Test func aFeatureAddsATableARouteAJobAPeriodicTaskAServiceAnEventTypeAndAConsumer() async throws {
        let probe = GuestbookFeature.Probe()
        try await withApp(roles: [.api, .worker, .scheduler], features: [GuestbookFeature(probe: probe)]) { app in
            let (_, token) = try await app.makeUser("writer")
            #expect(try app.cadenza.events.type(named: "guestbook.signed")?.visibility == .instance)
            #expect(try app.cadenza.apiDocument.contains(#""/guestbook": { "post""#))
            try await app.testing().test(.GET, "api/v1/events/types", headers: .bearer(token)) { res async throws in
                #expect(res.status == .ok)
                let types = try res.content.decode([EventsController.EventTypeDTO].self)
                #expect(types.contains { $0.name == "guestbook.signed" && $0.visibility == "instance" })
                #expect(types.contains { $0.name == "listen" && $0.visibility == "followers" })
            }
            try await app.testing().test(
                .POST, "api/v1/guestbook", headers: .bearer(token),
                body: ByteBuffer(string: #"{"id": 7, "text": "hello"}"#)
            ) { res async throws in
                #expect(res.status == .created)
            }
            // The job ran (woken by the commit), the consumer mirrored the event, the scheduler
            // queued the periodic task, and the service is running.
            #expect(
                try await eventually {
                    try await app.sql.raw("SELECT counted FROM guestbook_entries WHERE id = 7").first()?.decode(column: "counted", as: Int.self) == 1
                })
            #expect(
                try await eventually {
                    try await app.sql.raw("SELECT COUNT(*) AS n FROM guestbook_mirror").first()?.decode(column: "n", as: Int.self) == 1
                })
            #expect(
                try await eventually {
                    try await app.sql.raw("SELECT COUNT(*) AS n FROM jobs WHERE kind = 'guestbook.tidy'").first()?.decode(column: "n", as: Int.self)
                        == 1
                })
            #expect(probe.serviceStarted.withLockedValue { $0 })
            await CadenzaApp.stopServices(app)
            #expect(probe.serviceStopped.withLockedValue { $0 })
            // The consumer's position survives: nothing is delivered twice after a restart.
            try await CadenzaApp.startServices(app, roles: [.worker])
            try await app.testing().test(
                .POST, "api/v1/guestbook", headers: .bearer(token),
                body: ByteBuffer(string: #"{"id": 8, "text": "again"}"#)
            ) { res async throws in
                #expect(res.status == .created)
            }
            #expect(
                try await eventually {
                    try await app.sql.raw("SELECT COUNT(*) AS n FROM guestbook_mirror").first()?.decode(column: "n", as: Int.self) == 2
                })
            try await Task.sleep(for: .milliseconds(200))
            #expect(
                try await app.sql.raw("SELECT COUNT(DISTINCT event_id) AS d, COUNT(*) AS n FROM guestbook_mirror").first()
                    .map { try $0.decode(column: "d", as: Int.self) == 2 && $0.decode(column: "n", as: Int.self) == 2 } == true)
        }
    }

    @Test func aFeatureWhoseDocumentationIsNotJSONOrRepeatsAPathStopsTheStart() async throws {
        var broken = GuestbookFeature(probe: .init())
        broken.documentation = APIDocumentation(paths: [#""/guestbook": { "post": "#])
        await #expect(throws: SettingsError.self) { try await withApp(features: [broken]) { _ in } }
        var twice = GuestbookFeature(probe: .init())
        twice.documentation = APIDocumentation(paths: [#""/albums": { "get": { "responses": {} } }"#])
        await #expect(throws: SettingsError.self) { try await withApp(features: [twice]) { _ in } }
    }

    @Test func aDeclaredEventTypeCannotBeDeclaredTwice() async throws {
        let probe = GuestbookFeature.Probe()
        await #expect(throws: SettingsError.self) {
            try await withApp(features: [GuestbookFeature(probe: probe), GuestbookFeature(probe: probe)]) { _ in }
        }
    }
}

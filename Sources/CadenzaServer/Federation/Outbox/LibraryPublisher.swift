import CadenzaFormats
import Fluent
import Foundation
import SQLKit

/// Tells a local library's remote followers what changed in it: the catalog is compared with
/// what they were last told, and the difference becomes `Create`/`Update` of Audio and
/// `Delete` of many ids at once, queued as deliveries in the consumer's transaction.
struct LibraryPublisher: Sendable {
    static let consumerName = "federation.outbox"
    static let deleteBatch = 100

    let services: AppServices

    var consumer: EventConsumer {
        EventConsumer(name: Self.consumerName, types: [LibraryEvents.catalogChanged.name], start: .latest, batchSize: 500) {
            [self] events, tx in
            let libraries = Set(events.compactMap { $0.decodedPayload(as: LibraryEvents.CatalogChanged.self)?.libraryId })
            for library in libraries.sorted() { _ = try await publish(libraryID: library, on: tx) }
        }
    }

    /// Sends what changed since the followers were last told and records it; returns the
    /// library's files as this run saw them (nil: nothing to publish to, or not publishable).
    @discardableResult
    func publish(libraryID: Int64, on database: any Database) async throws -> [Int64: Int64]? {
        let db = database.sql
        let client = try FederationClient(services: services)
        guard client.federation.enabled, let library = try await Libraries.find(id: libraryID, on: db), library.kind != .remote else {
            return nil
        }
        // One publisher per library at a time (the consumer, an owner approving a follower):
        // two would both see a file as new and send it twice. SQLite writes are serial already.
        if db.dialect.name == "postgresql" { try await db.raw("SELECT pg_advisory_xact_lock(\(bind: 7_317_000_000 + libraryID))").run() }
        let current = try await CatalogQueries.libraryFileVersions(libraryID: libraryID, on: db)
        let inboxes = try await FederationFollows.followerInboxes(libraryID: libraryID, on: db)
        guard !inboxes.isEmpty else { return current }
        var told: [Int64: Int64] = [:]
        for row in try await db.raw("SELECT file_id, updated_at FROM federation_published WHERE library_id = \(bind: libraryID)").all() {
            told[try row.decode(column: "file_id", as: Int64.self)] = try row.decode(column: "updated_at", as: Int64.self)
        }
        let urls = client.urls
        var ownerName: String?
        if let ownerID = library.ownerID { ownerName = try await User.find(ownerID, on: database)?.username }
        let actor = ownerName.map(urls.user) ?? urls.service
        let documents = ActorDocuments(urls: urls)
        let audience: [JSONValue] = [.string(urls.library(libraryID) + "/followers")]
        let changed = current.filter { told[$0.key] != $0.value }.keys.sorted()
        for chunk in changed.chunked(200) {
            for audio in try await CatalogQueries.libraryAudio(fileIDs: Array(chunk), on: db) {
                let activity: JSONValue = .object([
                    "@context": ActivityContext.value, "id": .string(Activities.newURI(urls)),
                    "type": .string(told[audio.fileID] == nil ? "Create" : "Update"), "actor": .string(actor), "to": .array(audience),
                    "object": documents.audio(audio, ownerUsername: ownerName, context: false),
                ])
                try await FederationDeliveries.send(activity, to: inboxes, settings: client.federation, on: db)
            }
            try await Self.record(chunk.compactMap { id in current[id].map { (id, $0) } }, libraryID: libraryID, on: db)
        }
        let gone = told.keys.filter { current[$0] == nil }.sorted()
        for chunk in gone.chunked(Self.deleteBatch) {
            let ids = chunk.map { JSONValue.string(urls.audio($0)) }
            let activity: JSONValue = .object([
                "@context": ActivityContext.value, "id": .string(Activities.newURI(urls)), "type": .string("Delete"),
                "actor": .string(actor), "to": .array(audience),
                "object": .object(["type": .string("Audio"), "id": .array(ids)]),
            ])
            try await FederationDeliveries.send(activity, to: inboxes, settings: client.federation, on: db)
            try await db.raw(
                "DELETE FROM federation_published WHERE library_id = \(bind: libraryID) AND file_id IN (\(SQLList(chunk.map { SQLBind($0) })))"
            ).run()
        }
        return current
    }

    /// Before a follower is approved: the followers it joins are brought up to date, then the
    /// library as that run saw it counts as told (the new follower reads the pages next; a file
    /// committed meanwhile is still new to everyone and goes out with the next change).
    func prepareForNewFollower(libraryID: Int64, on database: any Database) async throws {
        guard let seen = try await publish(libraryID: libraryID, on: database) else { return }
        let db = database.sql
        try await db.raw("DELETE FROM federation_published WHERE library_id = \(bind: libraryID)").run()
        try await Self.record(seen.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, libraryID: libraryID, on: db)
    }

    static func record(_ files: [(Int64, Int64)], libraryID: Int64, on db: any SQLDatabase) async throws {
        _ = try await db.insertRows(
            into: "federation_published (library_id, file_id, updated_at)",
            rows: files.map { [SQLBind(libraryID), SQLBind($0.0), SQLBind($0.1)] },
            suffix: "ON CONFLICT (library_id, file_id) DO UPDATE SET updated_at = excluded.updated_at", maxBinds: 900)
    }
}

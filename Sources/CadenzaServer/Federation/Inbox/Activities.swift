import CadenzaFormats
import Foundation
import SQLKit

/// Every activity received or sent, stored before anything is done with it: the inbox answers
/// only once the row is written, and a replayed id is recognised and ignored.
enum Activities {
    struct Stored: Sendable {
        var id: Int64
        var uri: String
        var type: String
        var actorURI: String
        var payload: String
        var status: String
    }

    /// Inserts an inbound activity; nil when its id was seen before.
    static func receive(_ activity: JSONValue, uri: String, actorURI: String, on db: any SQLDatabase) async throws -> Int64? {
        try await db.raw(
            """
            INSERT INTO federation_activities (uri, direction, type, actor_uri, object_uri, payload, status, created_at)
            VALUES (\(bind: uri), 'in', \(bind: String((activity.typeName ?? "?").prefix(64))), \(bind: actorURI),
                    \(bind: activity["object"]?.idValue), \(bind: activity.serialized), 'received', \(bind: Clock.nowMillis()))
            ON CONFLICT (uri) DO NOTHING RETURNING id
            """
        ).first()?.decode(column: "id", as: Int64.self)
    }

    /// Stores an activity we send and returns its row id.
    static func record(outbound activity: JSONValue, on db: any SQLDatabase) async throws -> Int64 {
        guard let uri = activity["id"]?.string, let actor = activity["actor"]?.idValue else {
            throw FederationError.internal("an outgoing activity needs an id and an actor")
        }
        guard
            let row = try await db.raw(
                """
                INSERT INTO federation_activities (uri, direction, type, actor_uri, object_uri, payload, status, created_at)
                VALUES (\(bind: uri), 'out', \(bind: activity.typeName ?? "?"), \(bind: actor), \(bind: activity["object"]?.idValue),
                        \(bind: activity.serialized), 'sent', \(bind: Clock.nowMillis()))
                RETURNING id
                """
            ).first()
        else { throw FederationError.internal("the activity was not stored") }
        return try row.decode(column: "id", as: Int64.self)
    }

    static func find(id: Int64, on db: any SQLDatabase) async throws -> Stored? {
        guard let row = try await db.raw("SELECT * FROM federation_activities WHERE id = \(bind: id)").first() else { return nil }
        return Stored(
            id: id, uri: try row.decode(column: "uri", as: String.self), type: try row.decode(column: "type", as: String.self),
            actorURI: try row.decode(column: "actor_uri", as: String.self), payload: try row.decode(column: "payload", as: String.self),
            status: try row.decode(column: "status", as: String.self))
    }

    static func find(uri: String, direction: String, on db: any SQLDatabase) async throws -> Stored? {
        guard
            let id = try await db.raw("SELECT id FROM federation_activities WHERE uri = \(bind: uri) AND direction = \(bind: direction)")
                .first()?.decode(column: "id", as: Int64.self)
        else { return nil }
        return try await find(id: id, on: db)
    }

    static func mark(_ id: Int64, status: String, error: String? = nil, on db: any SQLDatabase) async throws {
        try await db.raw(
            "UPDATE federation_activities SET status = \(bind: status), error = \(bind: error.map { String($0.prefix(500)) }) WHERE id = \(bind: id)"
        ).run()
    }

    /// A fresh id for an activity we send.
    static func newURI(_ urls: FederationURLs) -> String { urls.activity(UUID().uuidString.lowercased()) }
}

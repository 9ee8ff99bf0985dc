import CadenzaFormats
import Foundation
import SQLKit

/// An actor on another instance, as last fetched.
struct RemoteActor: Sendable, Equatable {
    var id: Int64
    var uri: String
    var authority: String
    var type: String
    var username: String?
    var name: String?
    var inbox: String
    var sharedInbox: String?
    var keyID: String
    var publicPEM: String
    var fetchedAt: Int64

    init(row: any SQLRow) throws {
        id = try row.decode(column: "id", as: Int64.self)
        uri = try row.decode(column: "uri", as: String.self)
        authority = try row.decode(column: "authority", as: String.self)
        type = try row.decode(column: "type", as: String.self)
        username = try row.decode(column: "username", as: String?.self)
        name = try row.decode(column: "name", as: String?.self)
        inbox = try row.decode(column: "inbox", as: String.self)
        sharedInbox = try row.decode(column: "shared_inbox", as: String?.self)
        keyID = try row.decode(column: "key_id", as: String.self)
        publicPEM = try row.decode(column: "public_pem", as: String.self)
        fetchedAt = try row.decode(column: "fetched_at", as: Int64.self)
    }

    /// `@user@host[:port]`.
    var handle: String { "@\(username ?? "?")@\(authority)" }
    /// Where deliveries go: the shared inbox when the peer has one.
    var deliveryInbox: String { sharedInbox ?? inbox }
}

/// Remote actors: fetched with a signed GET, checked to be served by their own domain, kept in
/// `remote_actors`, refetched when a signature fails with the key we hold (rotation).
enum RemoteActors {
    static func find(uri: String, on db: any SQLDatabase) async throws -> RemoteActor? {
        try await db.raw("SELECT * FROM remote_actors WHERE uri = \(bind: uri)").first().map(RemoteActor.init(row:))
    }

    static func find(keyID: String, on db: any SQLDatabase) async throws -> RemoteActor? {
        try await db.raw("SELECT * FROM remote_actors WHERE key_id = \(bind: keyID) ORDER BY id LIMIT 1").first().map(RemoteActor.init(row:))
    }

    /// The actor, from the table when fetched within `maxAge`, otherwise from its server.
    static func resolve(
        uri: String, client: FederationClient, maxAge: Int64 = 86_400_000, on db: any SQLDatabase
    ) async throws -> RemoteActor {
        if let known = try await find(uri: uri, on: db), Clock.nowMillis() - known.fetchedAt < maxAge { return known }
        return try await fetch(uri: uri, client: client, on: db)
    }

    /// Fetches the actor that owns `keyID` (an actor id with a fragment, or a key document).
    static func fetch(keyID: String, client: FederationClient, on db: any SQLDatabase) async throws -> RemoteActor {
        let document = String(keyID.split(separator: "#", maxSplits: 1).first ?? Substring(keyID))
        let value = try await fetchDocument(document, client: client, on: db)
        // A key document names its owner (on its own domain); the owner's document must then
        // carry this very key.
        if value["inbox"] == nil, let owner = value["owner"]?.string, owner != document {
            guard value["id"]?.string == document || value["id"]?.string == keyID,
                FederationURLs.authority(of: owner) == FederationURLs.authority(of: document)
            else { throw FederationError.refused("\(keyID): a key document for an owner elsewhere") }
            let actor = try await fetch(uri: owner, client: client, on: db)
            guard actor.keyID == keyID else { throw FederationError.refused("\(owner) does not own the key \(keyID)") }
            return actor
        }
        return try await store(value, fetchedFrom: document, on: db)
    }

    static func fetch(uri: String, client: FederationClient, on db: any SQLDatabase) async throws -> RemoteActor {
        let value = try await fetchDocument(uri, client: client, on: db)
        return try await store(value, fetchedFrom: uri, on: db)
    }

    static func fetchDocument(_ uri: String, client: FederationClient, on db: any SQLDatabase) async throws -> JSONValue {
        try await client.document(uri, as: try await client.signer(userID: nil, username: nil, on: db), on: db)
    }

    /// Parses an actor document and keeps it. Its id must be the address it was fetched from
    /// (no redirects are followed), its inbox and key on its own domain, or one document could
    /// speak for another actor.
    static func store(_ value: JSONValue, fetchedFrom source: String, on db: any SQLDatabase) async throws -> RemoteActor {
        guard let uri = value["id"]?.string, uri == source, let authority = FederationURLs.authority(of: uri) else {
            throw FederationError.refused("\(source): the actor's id is not the address it was fetched from")
        }
        guard let inbox = value["inbox"]?.string, FederationURLs.authority(of: inbox) == authority else {
            throw FederationError.refused("\(uri) has no inbox")
        }
        let key = (value["publicKey"] ?? .null).array.first { $0["owner"]?.string == uri || $0["owner"] == nil }
        guard let key, let keyID = key["id"]?.string, let pem = key["publicKeyPem"]?.string, pem.utf8.count <= 16_384 else {
            throw FederationError.refused("\(uri) has no public key")
        }
        guard let keyAuthority = FederationURLs.authority(of: keyID), keyAuthority == authority else {
            throw FederationError.refused("\(uri): its key is on another domain")
        }
        let type = value.typeName ?? "Person"
        // Shown as @username@domain: nothing that could pass for another handle.
        let username = value["preferredUsername"]?.string.map { String($0.filter { !$0.isWhitespace && $0 != "@" }.prefix(100)) }
            .flatMap { $0.isEmpty ? nil : $0 }
        let name = value["name"]?.string.map { String($0.filter { !$0.isNewline }.prefix(200)) }
        let sharedInbox = value["endpoints"]?["sharedInbox"]?.string.flatMap { FederationURLs.authority(of: $0) == authority ? $0 : nil }
        let now = Clock.nowMillis()
        guard
            let row = try await db.raw(
                """
                INSERT INTO remote_actors (uri, authority, type, username, name, inbox, shared_inbox, key_id, public_pem, fetched_at)
                VALUES (\(bind: uri), \(bind: authority), \(bind: String(type.prefix(64))), \(bind: username), \(bind: name),
                        \(bind: inbox), \(bind: sharedInbox), \(bind: keyID), \(bind: pem), \(bind: now))
                ON CONFLICT (uri) DO UPDATE SET type = excluded.type, username = excluded.username, name = excluded.name,
                    inbox = excluded.inbox, shared_inbox = excluded.shared_inbox, key_id = excluded.key_id,
                    public_pem = excluded.public_pem, fetched_at = excluded.fetched_at
                RETURNING *
                """
            ).first()
        else { throw FederationError.internal("the actor was not stored") }
        return try RemoteActor(row: row)
    }
}

import Foundation
import SQLKit

/// A follow across instances, in either direction.
struct FederationFollow: Sendable, Codable, Equatable {
    enum Direction: String, Codable, Sendable { case `in`, out }
    enum Status: String, Codable, Sendable { case pending, approved, rejected }

    var id: Int64
    var uri: String
    var direction: Direction
    var localUserID: Int64?
    var remoteActorURI: String
    var objectURI: String
    var objectKind: String
    var libraryID: Int64?
    var status: Status
    var name: String?
    var createdAt: Int64
    var updatedAt: Int64

    init(row: any SQLRow) throws {
        id = try row.decode(column: "id", as: Int64.self)
        uri = try row.decode(column: "uri", as: String.self)
        direction = Direction(rawValue: try row.decode(column: "direction", as: String.self)) ?? .out
        localUserID = try row.decode(column: "local_user_id", as: Int64?.self)
        remoteActorURI = try row.decode(column: "remote_actor_uri", as: String.self)
        objectURI = try row.decode(column: "object_uri", as: String.self)
        objectKind = try row.decode(column: "object_kind", as: String.self)
        libraryID = try row.decode(column: "library_id", as: Int64?.self)
        status = Status(rawValue: try row.decode(column: "status", as: String.self)) ?? .pending
        name = try row.decode(column: "name", as: String?.self)
        createdAt = try row.decode(column: "created_at", as: Int64.self)
        updatedAt = try row.decode(column: "updated_at", as: Int64.self)
    }
}

enum FederationFollows {
    /// Inserts a follow; when the same (direction, actor, object) exists, returns that one.
    static func insert(
        uri: String, direction: FederationFollow.Direction, localUserID: Int64?, remoteActorURI: String, objectURI: String,
        objectKind: String, libraryID: Int64?, status: FederationFollow.Status, name: String?, on db: any SQLDatabase
    ) async throws -> (follow: FederationFollow, created: Bool) {
        let now = Clock.nowMillis()
        if let row = try await db.raw(
            """
            INSERT INTO federation_follows (uri, direction, local_user_id, remote_actor_uri, object_uri, object_kind, library_id,
                status, name, created_at, updated_at)
            VALUES (\(bind: uri), \(bind: direction.rawValue), \(bind: localUserID), \(bind: remoteActorURI), \(bind: objectURI),
                \(bind: objectKind), \(bind: libraryID), \(bind: status.rawValue), \(bind: name), \(bind: now), \(bind: now))
            ON CONFLICT DO NOTHING RETURNING *
            """
        ).first() {
            return (try FederationFollow(row: row), true)
        }
        let existing =
            direction == .in
            ? try await find(direction: .in, remoteActorURI: remoteActorURI, objectURI: objectURI, on: db)
            : try await outbound(userID: localUserID ?? 0, objectURI: objectURI, on: db)
        guard let existing else {
            throw FederationError.internal("the follow was neither made nor found")
        }
        return (existing, false)
    }

    static func find(id: Int64, on db: any SQLDatabase) async throws -> FederationFollow? {
        try await db.raw("SELECT * FROM federation_follows WHERE id = \(bind: id)").first().map(FederationFollow.init(row:))
    }

    static func find(uri: String, on db: any SQLDatabase) async throws -> FederationFollow? {
        try await db.raw("SELECT * FROM federation_follows WHERE uri = \(bind: uri)").first().map(FederationFollow.init(row:))
    }

    static func find(
        direction: FederationFollow.Direction, remoteActorURI: String, objectURI: String, on db: any SQLDatabase
    ) async throws -> FederationFollow? {
        try await db.raw(
            """
            SELECT * FROM federation_follows WHERE direction = \(bind: direction.rawValue)
            AND remote_actor_uri = \(bind: remoteActorURI) AND object_uri = \(bind: objectURI)
            """
        ).first().map(FederationFollow.init(row:))
    }

    /// A local user's follow of one remote object.
    static func outbound(userID: Int64, objectURI: String, on db: any SQLDatabase) async throws -> FederationFollow? {
        try await db.raw(
            "SELECT * FROM federation_follows WHERE direction = 'out' AND local_user_id = \(bind: userID) AND object_uri = \(bind: objectURI)"
        ).first().map(FederationFollow.init(row:))
    }

    /// Gives a follow a new Follow id (asked again after a refusal or a lost request).
    static func renew(_ id: Int64, uri: String, on db: any SQLDatabase) async throws {
        try await db.raw(
            """
            UPDATE federation_follows SET uri = \(bind: uri), status = 'pending', updated_at = \(bind: Clock.nowMillis()) WHERE id = \(bind: id)
            """
        ).run()
    }

    /// What a local user follows elsewhere.
    static func outbound(userID: Int64, on db: any SQLDatabase) async throws -> [FederationFollow] {
        try await db.raw("SELECT * FROM federation_follows WHERE direction = 'out' AND local_user_id = \(bind: userID) ORDER BY id DESC")
            .all().map(FederationFollow.init(row:))
    }

    /// Remote followers of what `userID` owns (its libraries, itself); every inbound follow for nil.
    static func inbound(ownerID: Int64?, ownedLibraries: [Int64], on db: any SQLDatabase) async throws -> [FederationFollow] {
        guard let ownerID else {
            return try await db.raw("SELECT * FROM federation_follows WHERE direction = 'in' ORDER BY id DESC").all().map(FederationFollow.init(row:))
        }
        // `library_id IN (…)` needs at least one id: -1 matches none.
        let libraries = SQLList((ownedLibraries.isEmpty ? [-1] : ownedLibraries).map { SQLBind($0) })
        return try await db.raw(
            """
            SELECT * FROM federation_follows WHERE direction = 'in'
            AND ((object_kind = 'person' AND local_user_id = \(bind: ownerID)) OR library_id IN (\(libraries)))
            ORDER BY id DESC
            """
        ).all().map(FederationFollow.init(row:))
    }

    static func setStatus(_ id: Int64, _ status: FederationFollow.Status, on db: any SQLDatabase) async throws {
        try await db.raw(
            "UPDATE federation_follows SET status = \(bind: status.rawValue), updated_at = \(bind: Clock.nowMillis()) WHERE id = \(bind: id)"
        ).run()
    }

    static func delete(_ id: Int64, on db: any SQLDatabase) async throws {
        try await db.raw("DELETE FROM federation_follows WHERE id = \(bind: id)").run()
    }

    /// Whether `actorURI` may read `libraryID`'s contents (an approved follow).
    static func isApprovedFollower(_ actorURI: String, libraryID: Int64, on db: any SQLDatabase) async throws -> Bool {
        try await db.raw(
            """
            SELECT id FROM federation_follows WHERE direction = 'in' AND library_id = \(bind: libraryID)
            AND remote_actor_uri = \(bind: actorURI) AND status = 'approved'
            """
        ).first() != nil
    }

    /// The inboxes of a library's approved followers, shared inboxes folded.
    static func followerInboxes(libraryID: Int64, on db: any SQLDatabase) async throws -> [String] {
        try await db.raw(
            """
            SELECT DISTINCT COALESCE(a.shared_inbox, a.inbox) AS inbox FROM federation_follows f
            JOIN remote_actors a ON a.uri = f.remote_actor_uri
            WHERE f.direction = 'in' AND f.library_id = \(bind: libraryID) AND f.status = 'approved'
            AND NOT EXISTS (SELECT 1 FROM federation_account_blocks b WHERE b.actor_uri = f.remote_actor_uri)
            ORDER BY inbox
            """
        ).all().map { try $0.decode(column: "inbox", as: String.self) }
    }

    /// Approved remote followers of a local person (their listens go there).
    static func personFollowerInboxes(userID: Int64, on db: any SQLDatabase) async throws -> [String] {
        try await db.raw(
            """
            SELECT DISTINCT COALESCE(a.shared_inbox, a.inbox) AS inbox FROM federation_follows f
            JOIN remote_actors a ON a.uri = f.remote_actor_uri
            WHERE f.direction = 'in' AND f.object_kind = 'person' AND f.local_user_id = \(bind: userID) AND f.status = 'approved'
            AND NOT EXISTS (SELECT 1 FROM federation_account_blocks b WHERE b.actor_uri = f.remote_actor_uri)
            ORDER BY inbox
            """
        ).all().map { try $0.decode(column: "inbox", as: String.self) }
    }

    static func counts(libraryID: Int64, on db: any SQLDatabase) async throws -> Int {
        try await db.raw(
            "SELECT COUNT(*) AS n FROM federation_follows WHERE direction = 'in' AND library_id = \(bind: libraryID) AND status = 'approved'"
        ).first()?.decode(column: "n", as: Int.self) ?? 0
    }
}

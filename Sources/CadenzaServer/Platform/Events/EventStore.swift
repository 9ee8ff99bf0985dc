import SQLKit
import Vapor

/// Who may see an event.
public enum EventVisibility: String, Codable, Sendable {
    /// Every signed-in user.
    case instance
    /// The audience user (and the actor).
    case user
    /// Administrators only.
    case admin
    /// The actor, the audience user and the users who follow the actor.
    case followers
}

/// One row of the `events` outbox.
public struct EventRecord: Sendable {
    public var id: Int64
    public var type: String
    public var actorID: Int64?
    public var subjectType: String?
    public var subjectID: String?
    public var payload: String
    public var visibility: EventVisibility
    public var audienceUserID: Int64?
    public var createdAt: Int64

    init(row: any SQLRow) throws {
        id = try row.decode(column: "id", as: Int64.self)
        type = try row.decode(column: "type", as: String.self)
        actorID = try row.decode(column: "actor_id", as: Int64?.self)
        subjectType = try row.decode(column: "subject_type", as: String?.self)
        subjectID = try row.decode(column: "subject_id", as: String?.self)
        payload = try row.decode(column: "payload", as: String.self)
        visibility = EventVisibility(rawValue: try row.decode(column: "visibility", as: String.self)) ?? .admin
        audienceUserID = try row.decode(column: "audience_user_id", as: Int64?.self)
        createdAt = try row.decode(column: "created_at", as: Int64.self)
    }

    /// Whether a signed-in caller may receive this event.
    func isVisible(to viewer: Principal, following: Set<Int64> = []) -> Bool {
        switch visibility {
        case .instance: return true
        case .admin: return viewer.isAdmin
        case .user: return audienceUserID == viewer.userID || actorID == viewer.userID
        case .followers:
            return audienceUserID == viewer.userID || actorID == viewer.userID || actorID.map(following.contains) == true
        }
    }
}

/// The API shape of an event.
struct EventDTO: Content {
    var id: String
    var type: String
    var actorId: String?
    var subjectType: String?
    var subjectId: String?
    var payload: JSONValue
    var createdAt: Date
}

extension EventRecord {
    func toDTO() -> EventDTO {
        EventDTO(id: String(id), type: type, actorId: actorID.map(String.init), subjectType: subjectType,
                 subjectId: subjectID,
                 payload: (try? JSONDecoder().decode(JSONValue.self, from: Data(payload.utf8))) ?? .null,
                 createdAt: Clock.date(createdAt))
    }
}

/// Writes and reads the outbox.
public enum EventStore {
    static let notifyChannel = "cadenza_events"
    /// Serialises event writers on PostgreSQL until commit, so ids become visible in increasing
    /// order and a reader that has seen id N can never later find a smaller one committed.
    static let advisoryLockKey: Int64 = 0x6576_656e_7473   // "events"

    /// Appends an event; call it inside the transaction that makes the change, as its last write.
    @discardableResult
    public static func append<P: Encodable>(
        type: String, actorID: Int64?, subjectType: String? = nil, subjectID: String? = nil, payload: P,
        visibility: EventVisibility, audienceUserID: Int64? = nil, on db: any SQLDatabase
    ) async throws -> Int64 {
        if db.isPostgres {
            try await db.raw("SELECT pg_advisory_xact_lock(\(bind: advisoryLockKey))").run()
        }
        let row = try await db.raw("""
            INSERT INTO events (type, actor_id, subject_type, subject_id, payload, visibility, audience_user_id, created_at)
            VALUES (\(bind: type), \(bind: actorID), \(bind: subjectType), \(bind: subjectID), \(bind: try JSONValue.text(payload)),
                    \(bind: visibility.rawValue), \(bind: audienceUserID), \(bind: Clock.nowMillis()))
            RETURNING id
            """).first()
        if db.isPostgres {
            try await db.raw("SELECT pg_notify(\(bind: notifyChannel), '')").run()
        }
        return try row?.decode(column: "id", as: Int64.self) ?? 0
    }

    public static func after(_ id: Int64, limit: Int, on db: any SQLDatabase) async throws -> [EventRecord] {
        try await db.raw("SELECT * FROM events WHERE id > \(bind: id) ORDER BY id LIMIT \(bind: limit)")
            .all().map(EventRecord.init(row:))
    }

    public static func latestID(on db: any SQLDatabase) async throws -> Int64 {
        try await db.raw("SELECT MAX(id) AS id FROM events").first()?.decode(column: "id", as: Int64?.self) ?? 0
    }

    static func deleteOld(before cutoff: Int64, on db: any SQLDatabase) async throws {
        try await db.delete(from: "events").where("created_at", .lessThan, cutoff).run()
    }
}

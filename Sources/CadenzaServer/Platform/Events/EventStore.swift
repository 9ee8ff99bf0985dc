import FluentKit
import NIOConcurrencyHelpers
import SQLKit
import Vapor

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
    /// The span it was written under (W3C traceparent), for the consumers' spans.
    public var traceParent: String?

    public init(
        id: Int64, type: String, actorID: Int64?, subjectType: String? = nil, subjectID: String? = nil, payload: String = "{}",
        visibility: EventVisibility, audienceUserID: Int64? = nil, createdAt: Int64
    ) {
        self.id = id
        self.type = type
        self.actorID = actorID
        self.subjectType = subjectType
        self.subjectID = subjectID
        self.payload = payload
        self.visibility = visibility
        self.audienceUserID = audienceUserID
        self.createdAt = createdAt
    }

    init(row: any SQLRow) throws {
        id = try row.decode(column: "id", as: Int64.self)
        type = try row.decode(column: "type", as: String.self)
        actorID = try row.decode(column: "actor_id", as: Int64?.self)
        subjectType = try row.decode(column: "subject_type", as: String?.self)
        subjectID = try row.decode(column: "subject_id", as: String?.self)
        payload = try row.decode(column: "payload", as: String.self)
        visibility = EventVisibility(rawValue: try row.decode(column: "visibility", as: String.self))
        audienceUserID = try row.decode(column: "audience_user_id", as: Int64?.self)
        createdAt = try row.decode(column: "created_at", as: Int64.self)
        traceParent = try? row.decode(column: "trace_parent", as: String?.self)
    }

    /// Whether a signed-in reader may receive this event: the platform's audiences here, a
    /// feature's through its filter. The actor and the audience user always see their own events;
    /// an audience nobody registered shows to no one else.
    func isVisible(to viewer: EventViewer, audiences: [EventVisibility: any EventAudienceFilter]) -> Bool {
        switch visibility {
        case .instance: return true
        case .admin: return viewer.isAdmin
        default:
            if audienceUserID == viewer.userID || actorID == viewer.userID { return true }
            return audiences[visibility]?.includes(self) ?? false
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
        EventDTO(
            id: String(id), type: type, actorId: actorID.map(String.init), subjectType: subjectType,
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
    static let advisoryLockKey: Int64 = 0x6576_656e_7473  // "events"

    /// Appends an event of a declared type; call it inside the transaction that makes the change,
    /// as its last write (`writeTransaction` wakes the readers once it commits). `visibility`
    /// overrides the type's own for this one event (a listen by someone whose listens are private).
    @discardableResult
    public static func append<P>(
        _ type: EventType<P>, payload: P, actorID: Int64?, subjectID: String? = nil,
        audienceUserID: Int64? = nil, visibility: EventVisibility? = nil, on db: any SQLDatabase
    ) async throws -> Int64 {
        try await insert(
            type: type.name, actorID: actorID, subjectType: type.subjectType, subjectID: subjectID,
            payload: try JSONValue.text(payload), visibility: visibility ?? type.visibility,
            audienceUserID: audienceUserID, on: db)
    }

    /// One of several events of one type appended together.
    public struct Item<P: Sendable>: Sendable {
        public var payload: P
        public var actorID: Int64?
        public var subjectID: String?
        public var audienceUserID: Int64?
        public var visibility: EventVisibility?

        public init(payload: P, actorID: Int64?, subjectID: String? = nil, audienceUserID: Int64? = nil, visibility: EventVisibility? = nil) {
            self.payload = payload
            self.actorID = actorID
            self.subjectID = subjectID
            self.audienceUserID = audienceUserID
            self.visibility = visibility
        }
    }

    /// Appends several events of one type in one statement, under one lock and one notification
    /// (a batch of listens announces each listen): as `append`, in the order given.
    public static func append<P>(_ type: EventType<P>, each items: [Item<P>], on db: any SQLDatabase) async throws {
        guard !items.isEmpty else { return }
        let rows = try items.map { item in
            Row(
                type: type.name, actorID: item.actorID, subjectType: type.subjectType, subjectID: item.subjectID,
                payload: try JSONValue.text(item.payload), visibility: item.visibility ?? type.visibility,
                audienceUserID: item.audienceUserID)
        }
        _ = try await insert(rows, on: db)
    }

    private struct Row: Sendable {
        var type: String
        var actorID: Int64?
        var subjectType: String?
        var subjectID: String?
        var payload: String
        var visibility: EventVisibility
        var audienceUserID: Int64?
    }

    private static func insert(
        type: String, actorID: Int64?, subjectType: String?, subjectID: String?, payload: String,
        visibility: EventVisibility, audienceUserID: Int64?, on db: any SQLDatabase
    ) async throws -> Int64 {
        let row = Row(
            type: type, actorID: actorID, subjectType: subjectType, subjectID: subjectID, payload: payload, visibility: visibility,
            audienceUserID: audienceUserID)
        return try await insert([row], on: db).first ?? 0
    }

    /// Returns the new ids, in the order of `rows`.
    private static func insert(_ rows: [Row], on db: any SQLDatabase) async throws -> [Int64] {
        if db.isPostgres, let fluent = db as? any Database, !fluent.inTransaction {
            // The lock keeps ids committing in id order only while a transaction holds it: taken
            // by a statement of its own it is gone before the insert, and an event committed
            // past one still open made readers skip that one for good.
            return try await fluent.writeTransaction { tx in try await insert(rows, on: tx.sql) }
        }
        // Once per write transaction (a batch of listens of several users appends once per
        // user): PostgreSQL sends it at the commit either way, so it is asked for with the lock,
        // in the same round trip. Skipped only inside a transaction whose wake-ups already name
        // the events, which only this function adds, after notifying.
        let notified = (db as? any Database)?.inTransaction == true && WakeSignal.pending?.contains(WakeSignal.events) == true
        if db.isPostgres {
            if notified {
                try await db.raw("SELECT pg_advisory_xact_lock(\(bind: advisoryLockKey))").run()
            } else {
                try await db.raw("SELECT pg_advisory_xact_lock(\(bind: advisoryLockKey)), pg_notify(\(bind: notifyChannel), '')").run()
            }
        }
        let now = Clock.nowMillis(), trace = TraceContext.id, parent = CadenzaTracing.currentParent
        let returned = try await db.insertRows(
            into: "events (type, actor_id, subject_type, subject_id, payload, visibility, audience_user_id, created_at, trace_id, trace_parent)",
            rows: rows.map { row in
                [
                    SQLBind(row.type), SQLBind(row.actorID), SQLBind(row.subjectType), SQLBind(row.subjectID), SQLBind(row.payload),
                    SQLBind(row.visibility.rawValue), SQLBind(row.audienceUserID), SQLBind(now), SQLBind(trace), SQLBind(parent),
                ]
            }, suffix: "RETURNING id")
        WakeSignal.events.signal(after: db)
        let ids = try returned.map { try $0.decode(column: "id", as: Int64.self) }.sorted()
        if let last = ids.last { writtenHere.withLockedValue { $0 = max($0, last) } }
        return ids
    }

    /// The newest event id this process wrote: an event tail that finds newer ones knows they
    /// were written elsewhere (see EventHub).
    static let writtenHere = NIOLockedValueBox<Int64>(0)

    public static func after(_ id: Int64, limit: Int, on db: any SQLDatabase) async throws -> [EventRecord] {
        try await db.raw("SELECT * FROM events WHERE id > \(bind: id) ORDER BY id LIMIT \(bind: limit)")
            .all().map(EventRecord.init(row:))
    }

    /// The newest event of `type` about `subjectID`, if one is kept.
    public static func latest(type: String, subjectID: String, on db: any SQLDatabase) async throws -> EventRecord? {
        try await db.raw(
            "SELECT * FROM events WHERE type = \(bind: type) AND subject_id = \(bind: subjectID) ORDER BY id DESC LIMIT 1"
        ).first().map(EventRecord.init(row:))
    }

    public static func latestID(on db: any SQLDatabase) async throws -> Int64 {
        try await db.raw("SELECT MAX(id) AS id FROM events").first()?.decode(column: "id", as: Int64?.self) ?? 0
    }

    /// Deletes events older than `cutoff` that every durable consumer has already processed.
    static func deleteOld(before cutoff: Int64, on db: any SQLDatabase) async throws {
        let slowest = try await EventConsumerStore.slowestPosition(on: db)
        var delete = db.delete(from: "events").where("created_at", .lessThan, cutoff)
        if let slowest { delete = delete.where("id", .lessThanOrEqual, slowest) }
        try await delete.run()
    }
}

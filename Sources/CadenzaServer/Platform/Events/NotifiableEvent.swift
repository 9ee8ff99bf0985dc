import Foundation
import SQLKit

/// How serious an event is, for notification rules' severity filter.
public enum EventSeverity: String, Sendable, Codable, CaseIterable, Comparable {
    case info, warning, error

    var rank: Int {
        switch self {
        case .info: 0
        case .warning: 1
        case .error: 2
        }
    }

    public static func < (a: EventSeverity, b: EventSeverity) -> Bool { a.rank < b.rank }
}

/// Something an event is about, as notification rules name it: an object ("station:jazz",
/// "library:3"), the users it concerns, and whether only administrators care.
public struct EventReference: Hashable, Sendable, Codable {
    public var key: String
    public init(key: String) { self.key = key }

    /// A thing people follow: `type:id`.
    public static func object(_ type: String, _ id: String) -> EventReference { EventReference(key: "\(type):\(id)") }
    /// A user the event mentions (it is about them: their import, someone following them).
    public static func mention(_ userID: Int64) -> EventReference { EventReference(key: "mention:\(userID)") }
    /// A user who owns what the event is about (their station, their library).
    public static func owner(_ userID: Int64) -> EventReference { EventReference(key: "owner:\(userID)") }
    /// The user who acted.
    public static func actor(_ userID: Int64) -> EventReference { EventReference(key: "actor:\(userID)") }
    /// Administrators' business (a scan of an instance library, a station gone silent).
    public static let admin = EventReference(key: "admin")
}

/// What a notification says about an event, in the user's words.
public struct EventNotice: Sendable, Codable, Equatable {
    public var title: String
    public var body: String
    /// A path in the web app (`/stations/jazz`), made absolute by whoever sends it on.
    public var link: String?

    public init(title: String, body: String = "", link: String? = nil) {
        self.title = title
        self.body = body
        self.link = link
    }
}

/// An event type notifications can be about. A feature registers one per type it wants users to
/// hear of; notifications names no feature. `references` is cheap and synchronous (it runs for
/// every event, before any rule is looked at); `notice` may read the database and runs only for
/// events some rule matched.
public struct NotifiableEvent: Sendable {
    public var type: String
    public var severity: @Sendable (EventRecord) -> EventSeverity
    /// How long the news stays worth telling (someone is playing now): it is never put in a
    /// digest and is dropped when not delivered in time. Nil: it keeps.
    public var expiresAfterMs: Int64?
    /// What the event is about besides its actor and audience user, which count already.
    public var references: @Sendable (EventRecord) -> [EventReference]
    /// False for security notices (a password changed): "not my own actions" must not hide
    /// them, since whoever acted may not be the account's owner.
    public var ownActionsCount = true
    public var notice: @Sendable (EventRecord, any SQLDatabase) async throws -> EventNotice?

    public init(
        type: String, severity: EventSeverity = .info, expiresAfterMs: Int64? = nil,
        references: @escaping @Sendable (EventRecord) -> [EventReference] = { _ in [] },
        notice: @escaping @Sendable (EventRecord, any SQLDatabase) async throws -> EventNotice?
    ) {
        self.type = type
        self.severity = { _ in severity }
        self.expiresAfterMs = expiresAfterMs
        self.references = references
        self.notice = notice
    }

    /// For a type whose severity depends on the event (a scan with errors).
    public init(
        type: String, severityOf: @escaping @Sendable (EventRecord) -> EventSeverity, expiresAfterMs: Int64? = nil,
        references: @escaping @Sendable (EventRecord) -> [EventReference] = { _ in [] },
        notice: @escaping @Sendable (EventRecord, any SQLDatabase) async throws -> EventNotice?
    ) {
        self.type = type
        self.severity = severityOf
        self.expiresAfterMs = expiresAfterMs
        self.references = references
        self.notice = notice
    }

    /// Every reference of `event`: the kind's own, its actor, its audience user, and
    /// administrators for an admin-only event.
    public func allReferences(of event: EventRecord) -> [EventReference] {
        var result = references(event)
        if let actor = event.actorID { result.append(.actor(actor)) }
        if let audience = event.audienceUserID { result.append(.mention(audience)) }
        if event.visibility == .admin { result.append(.admin) }
        return result
    }
}

extension EventRecord {
    /// The payload decoded as `T`, or nil when it is not one.
    public func decodedPayload<T: Decodable>(as type: T.Type) -> T? {
        try? JSONDecoder().decode(T.self, from: Data(payload.utf8))
    }
}

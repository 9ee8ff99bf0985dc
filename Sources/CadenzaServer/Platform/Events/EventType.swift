import NIOConcurrencyHelpers
import SQLKit

/// Who may see an event: one of the platform's own audiences (`instance`, `user`, `admin`) or
/// one a feature registers (`followers`, a jukebox room's guests, a station's listeners).
/// Stored as its name in `events.visibility`.
public struct EventVisibility: RawRepresentable, Hashable, Sendable, Codable {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ name: String) { self.rawValue = name }

    /// Every signed-in user.
    public static let instance = EventVisibility("instance")
    /// The audience user (and the actor).
    public static let user = EventVisibility("user")
    /// Administrators only.
    public static let admin = EventVisibility("admin")
    /// No one's live stream: read by durable consumers only (bookkeeping other features act on).
    public static let system = EventVisibility("system")
}

/// A kind of event and the shape of its payload. Each feature declares its types in one file
/// (`<Feature>Events.swift`); the name is what the web app and notification rules match on.
public struct EventType<Payload: Encodable & Sendable>: Sendable {
    public let name: String
    public let visibility: EventVisibility
    public let subjectType: String?

    public init(_ name: String, visibility: EventVisibility, subjectType: String? = nil) {
        self.name = name
        self.visibility = visibility
        self.subjectType = subjectType
    }

    /// The type without its payload, for registries and documentation.
    public var descriptor: EventDescriptor { EventDescriptor(name: name, visibility: visibility, subjectType: subjectType) }
}

/// An event type as the registry lists it.
public struct EventDescriptor: Hashable, Sendable {
    public let name: String
    public let visibility: EventVisibility
    public let subjectType: String?
}

/// Who the signed-in reader of a live stream is, as far as event visibility is concerned.
public struct EventViewer: Sendable, Hashable {
    public var userID: Int64
    public var isAdmin: Bool
    public init(userID: Int64, isAdmin: Bool) {
        self.userID = userID
        self.isAdmin = isAdmin
    }
}

/// An audience a feature adds: it decides, for one viewer, which events of its visibility they
/// receive. State it needs (whom the viewer follows, which rooms they are in) is loaded once per
/// stream and may be kept current from the events the stream sees.
public protocol EventAudience: Sendable {
    var visibility: EventVisibility { get }
    func filter(for viewer: EventViewer, on db: any SQLDatabase) async throws -> any EventAudienceFilter
}

/// One viewer's view of an audience, kept for the life of their stream.
public protocol EventAudienceFilter: Sendable {
    /// Sees every event the stream reads, visible or not, before `includes` is asked.
    mutating func observe(_ event: EventRecord)
    func includes(_ event: EventRecord) -> Bool
}

/// The event types and audiences the features declared, fixed at configure time.
public final class EventRegistry: Sendable {
    private struct State {
        var types: [String: EventDescriptor] = [:]
        var audiences: [EventVisibility: any EventAudience] = [:]
        var notifiable: [String: NotifiableEvent] = [:]
    }
    private let state = NIOLockedValueBox(State())

    public init() {}

    public func register(_ descriptors: [EventDescriptor]) throws {
        let duplicates = state.withLockedValue { state -> [String] in
            var duplicates: [String] = []
            for descriptor in descriptors {
                if state.types[descriptor.name] != nil { duplicates.append(descriptor.name) }
                state.types[descriptor.name] = descriptor
            }
            return duplicates
        }
        if !duplicates.isEmpty {
            throw SettingsError(problems: duplicates.map { "event type \($0) is declared by two features" })
        }
    }

    public func register(audience: any EventAudience) {
        state.withLockedValue { $0.audiences[audience.visibility] = audience }
    }

    public func register(notifiable kinds: [NotifiableEvent]) {
        state.withLockedValue { state in for kind in kinds { state.notifiable[kind.type] = kind } }
    }

    /// How notifications treat events of `type`; nil when they are not about it.
    public func notifiable(_ type: String) -> NotifiableEvent? { state.withLockedValue { $0.notifiable[type] } }
    public var notifiableTypes: [String] { state.withLockedValue { $0.notifiable.keys.sorted() } }
    func audience(_ visibility: EventVisibility) -> (any EventAudience)? { state.withLockedValue { $0.audiences[visibility] } }

    public var types: [EventDescriptor] { state.withLockedValue { $0.types.values.sorted { $0.name < $1.name } } }
    public func type(named name: String) -> EventDescriptor? { state.withLockedValue { $0.types[name] } }
    var audiences: [any EventAudience] { state.withLockedValue { Array($0.audiences.values) } }
}

import Foundation
import Vapor

struct NotificationDTO: Content {
    var id: String
    var eventId: String
    var type: String
    var severity: String
    var title: String
    var body: String
    var link: String?
    var ruleIds: [String]
    var createdAt: Date
    var read: Bool

    init(_ item: InboxItem) {
        id = String(item.id)
        eventId = String(item.eventID)
        type = item.type
        severity = item.severity
        title = item.title
        body = item.body
        link = item.link
        ruleIds = item.ruleIDs.map(String.init)
        createdAt = Clock.date(item.createdAt)
        read = item.readAt != nil
    }
}

struct InboxDTO: Content {
    var items: [NotificationDTO]
    var unread: Int
}

struct DestinationDTO: Content {
    var id: String
    var kind: NotificationDestination.Kind
    var name: String
    var address: String
    var format: NotificationDestination.Format?
    /// pending (awaiting confirmation), active, disabled.
    var status: String
    var digestMinutes: Int
    var digestCount: Int
    var digestAt: String?
    var timeZone: String
    var ratePerHour: Int
    var failures: Int
    var lastError: String?
    var lastSentAt: Date?
    /// Deliveries by status (held, queued, sent, failed, expired).
    var deliveries: [String: Int]
    /// A generated signing secret, shown once when the webhook is made.
    var secret: String?

    init(_ destination: NotificationDestination, deliveries: [String: Int] = [:], secret: String? = nil) {
        id = String(destination.id)
        kind = destination.kind
        name = destination.name
        address = destination.address
        format = destination.format
        status = destination.disabledAt != nil ? "disabled" : destination.isUsable ? "active" : "pending"
        digestMinutes = destination.digestMinutes
        digestCount = destination.digestCount
        digestAt = destination.digestAt.map(RuleDTO.clock)
        timeZone = destination.timeZone
        ratePerHour = destination.ratePerHour
        failures = destination.failures
        lastError = destination.lastError
        lastSentAt = destination.lastSentAt.map(Clock.date)
        self.deliveries = deliveries
        self.secret = secret
    }
}

struct RuleDTO: Content {
    var id: String
    var name: String
    var tracking: NotificationRule.Tracking
    var targets: [String]
    var types: [String]
    var minSeverity: EventSeverity
    var includeOwn: Bool
    var oneShot: Bool
    var enabled: Bool
    var quietStart: String?
    var quietEnd: String?
    var timeZone: String?
    var destinationIds: [String]
    var firedCount: Int64
    var lastFiredAt: Date?

    init(_ rule: NotificationRule) {
        id = String(rule.id)
        name = rule.name
        tracking = rule.tracking
        targets = rule.targets
        types = rule.types
        minSeverity = rule.minSeverity
        includeOwn = rule.includeOwn
        oneShot = rule.oneShot
        enabled = rule.enabled
        quietStart = rule.quietHours.map { Self.clock($0.start) }
        quietEnd = rule.quietHours.map { Self.clock($0.end) }
        timeZone = rule.quietHours?.timeZone
        destinationIds = rule.destinationIDs.map(String.init)
        firedCount = rule.firedCount
        lastFiredAt = rule.lastFiredAt.map(Clock.date)
    }

    static func clock(_ minutes: Int) -> String {
        let h = minutes / 60, m = minutes % 60
        return (h < 10 ? "0" : "") + String(h) + ":" + (m < 10 ? "0" : "") + String(m)
    }

    /// "HH:MM" → minutes after midnight.
    static func minutes(_ text: String) -> Int? {
        let parts = text.split(separator: ":")
        guard parts.count == 2, parts[0].count <= 2, parts[1].count == 2, let h = Int(parts[0]), let m = Int(parts[1]),
            (0..<24).contains(h), (0..<60).contains(m)
        else { return nil }
        return h * 60 + m
    }
}

struct RulePreviewDTO: Content {
    var days: Int
    var matched: Int
    var examples: [String]
}

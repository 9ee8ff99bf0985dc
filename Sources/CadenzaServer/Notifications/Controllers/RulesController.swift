import Fluent
import Foundation
import SQLKit
import Vapor

/// `/api/v1/notification-rules`: what a user watches and where it goes, with a preview of what
/// a rule would have sent in the past week.
enum RulesController {
    static let maxRules = 100

    struct Change: Decodable {
        var name: String?
        var tracking: NotificationRule.Tracking?
        var targets: [String]?
        var types: [String]?
        var minSeverity: EventSeverity?
        var includeOwn: Bool?
        var oneShot: Bool?
        var enabled: Bool?
        /// "HH:MM"; both or neither, with the time zone they are in ("" clears them).
        var quietStart: String?
        var quietEnd: String?
        var timeZone: String?
        var destinationIds: [String]?
    }

    @Sendable static func list(req: Request) async throws -> [RuleDTO] {
        let user = try req.requireUser()
        try await DestinationsController.ensureStarted(user, on: req.db)
        return try await NotificationRules.of(userID: user.userID, on: req.sql).map(RuleDTO.init)
    }

    @Sendable static func create(req: Request) async throws -> Response {
        let user = try req.requireUser()
        let change = try await req.decodeJSON(Change.self)
        try await DestinationsController.ensureStarted(user, on: req.db)
        let blank = NotificationRule(
            id: 0, userID: user.userID, name: "", tracking: .mentions, targets: [], types: [], minSeverity: .info, includeOwn: false,
            oneShot: false, enabled: true, quietHours: nil, destinationIDs: [])
        guard change.tracking != nil else { throw APIError.badRequest("tracking: one of \(NotificationRule.Tracking.allCases.map(\.rawValue))") }
        let rule = try await apply(change, to: blank, user: user, on: req.sql)
        let id = try await req.db.writeTransaction { tx -> Int64 in
            guard try await NotificationRules.of(userID: user.userID, on: tx.sql).count < maxRules else {
                throw APIError.conflict("At most \(maxRules) rules.")
            }
            let id = try await NotificationRules.create(rule, on: tx.sql)
            try await NotificationsEvents.appendRulesChanged(userID: user.userID, on: tx.sql)
            return id
        }
        guard let created = try await NotificationRules.find(id, userID: user.userID, on: req.sql) else { throw APIError.notFound("Rule") }
        let response = Response(status: .created)
        try response.content.encode(RuleDTO(created))
        return response
    }

    @Sendable static func update(req: Request) async throws -> RuleDTO {
        let user = try req.requireUser()
        let id = try req.int64Parameter("id", what: "Rule")
        let change = try await req.decodeJSON(Change.self)
        // Read and written in one transaction: a one-shot rule that fired meanwhile stays off.
        try await req.db.writeTransaction { tx in
            guard let current = try await NotificationRules.find(id, userID: user.userID, lock: true, on: tx.sql) else {
                throw APIError.notFound("Rule")
            }
            try await NotificationRules.update(try await apply(change, to: current, user: user, on: tx.sql), on: tx.sql)
            try await NotificationsEvents.appendRulesChanged(userID: user.userID, on: tx.sql)
        }
        return RuleDTO(try await find(req, user: user))
    }

    @Sendable static func delete(req: Request) async throws -> HTTPStatus {
        let user = try req.requireUser()
        let rule = try await find(req, user: user)
        try await req.db.writeTransaction { tx in
            _ = try await NotificationRules.delete(rule.id, userID: user.userID, on: tx.sql)
            try await NotificationsEvents.appendRulesChanged(userID: user.userID, on: tx.sql)
        }
        return .noContent
    }

    /// How often the rule (as sent, not yet saved) would have fired in the last seven days of
    /// kept events, with a few of the notices.
    @Sendable static func preview(req: Request) async throws -> RulePreviewDTO {
        let user = try req.requireUser()
        let blank = NotificationRule(
            id: 1, userID: user.userID, name: "preview", tracking: .mentions, targets: [], types: [], minSeverity: .info, includeOwn: false,
            oneShot: false, enabled: true, quietHours: nil, destinationIDs: [])
        var rule = try await apply(try await req.decodeJSON(Change.self), to: blank, user: user, on: req.sql, checkDestinations: false)
        rule.enabled = true
        let services = try req.application.cadenza
        let matcher = NotificationMatcher(registry: services.events)
        matcher.refreshAdmin(userID: user.userID, isAdmin: user.isAdmin)
        let following = rule.needsFollowing ? try await Follows.followees(of: user.userID, on: req.sql) : []
        let starred = rule.needsStarred ? Set(try await CatalogQueries.starredArtistIDs(userID: user.userID, on: req.sql)) : []
        var index = RuleIndex()
        index.replace(userID: user.userID, with: [rule], following: following, starred: starred, isAdmin: user.isAdmin)
        let since = Clock.nowMillis() - 7 * 86_400_000
        let types = services.events.notifiableTypes
        guard !types.isEmpty else { return RulePreviewDTO(days: 7, matched: 0, examples: []) }
        let rows = try await req.sql.raw(
            """
            SELECT * FROM events WHERE created_at > \(bind: since) AND type IN \(SQLBindGroup(types)) ORDER BY id DESC LIMIT 20000
            """
        ).all()
        var matched = 0
        var examples: [String] = []
        for row in rows {
            let event = try EventRecord(row: row)
            guard let kind = services.events.notifiable(event.type) else { continue }
            let hits = index.matches(
                type: event.type, severity: kind.severity(event), actorID: event.actorID, references: kind.allReferences(of: event))
            guard !hits.isEmpty, try await matcher.maySee(event, userID: user.userID, on: req.sql) else { continue }
            matched += 1
            if examples.count < 5, let notice = try await kind.notice(event, req.sql) { examples.append(notice.title) }
        }
        return RulePreviewDTO(days: 7, matched: matched, examples: examples)
    }

    struct KindDTO: Content {
        var type: String
    }

    /// The event types rules can name.
    @Sendable static func kinds(req: Request) async throws -> [KindDTO] {
        _ = try req.requireUser()
        return try req.application.cadenza.events.notifiableTypes.map(KindDTO.init)
    }

    static func find(_ req: Request, user: Principal) async throws -> NotificationRule {
        let id = try req.int64Parameter("id", what: "Rule")
        guard let rule = try await NotificationRules.find(id, userID: user.userID, on: req.sql) else { throw APIError.notFound("Rule") }
        return rule
    }

    static func apply(
        _ change: Change, to rule: NotificationRule, user: Principal, on db: any SQLDatabase, checkDestinations: Bool = true
    ) async throws -> NotificationRule {
        var rule = rule
        if let tracking = change.tracking {
            guard tracking != .admin || user.isAdmin else { throw APIError.forbidden("Only administrators can watch the server.") }
            rule.tracking = tracking
        }
        if let name = change.name { rule.name = try DestinationsController.validName(name) }
        if rule.name.isEmpty { rule.name = rule.tracking.rawValue.capitalized }
        if let targets = change.targets {
            guard targets.count <= 100 else { throw APIError.badRequest("targets: at most 100") }
            rule.targets = targets
        }
        try validTargets(rule)
        if let types = change.types {
            guard types.count <= 20,
                types.allSatisfy({ glob in
                    !glob.isEmpty && glob.utf8.count <= 100
                        && glob.unicodeScalars.allSatisfy { CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyz0123456789._-*").contains($0) }
                })
            else { throw APIError.badRequest("types: at most 20 event type patterns (lowercase letters, digits, . _ - and *)") }
            rule.types = types
        }
        if let severity = change.minSeverity { rule.minSeverity = severity }
        if let includeOwn = change.includeOwn { rule.includeOwn = includeOwn }
        if let oneShot = change.oneShot { rule.oneShot = oneShot }
        if let enabled = change.enabled { rule.enabled = enabled }
        if change.quietStart != nil || change.quietEnd != nil || change.timeZone != nil {
            let start = change.quietStart ?? rule.quietHours.map { RuleDTO.clock($0.start) } ?? ""
            let end = change.quietEnd ?? rule.quietHours.map { RuleDTO.clock($0.end) } ?? ""
            let zone = change.timeZone ?? rule.quietHours?.timeZone ?? "UTC"
            if start.isEmpty && end.isEmpty {
                rule.quietHours = nil
            } else {
                guard let s = RuleDTO.minutes(start), let e = RuleDTO.minutes(end) else {
                    throw APIError.badRequest("quietStart, quietEnd: both as HH:MM")
                }
                guard zone.utf8.count <= 64, TimeZone(identifier: zone) != nil else { throw APIError.badRequest("timeZone: an IANA time zone") }
                rule.quietHours = QuietHours(start: s, end: e, timeZone: zone)
            }
        }
        if let ids = change.destinationIds {
            guard ids.count <= DestinationsController.maxDestinations else { throw APIError.badRequest("destinationIds: too many") }
            let parsed = try ids.map { text -> Int64 in
                guard let id = Int64(text) else { throw APIError.badRequest("destinationIds: destination ids") }
                return id
            }
            if checkDestinations {
                let own = Set(try await NotificationDestinations.of(userID: user.userID, on: db).map(\.id))
                guard parsed.allSatisfy(own.contains) else { throw APIError.badRequest("destinationIds: not your destinations") }
            }
            rule.destinationIDs = Array(Set(parsed)).sorted()
        }
        if checkDestinations && rule.destinationIDs.isEmpty {
            guard let inbox = try await NotificationDestinations.inbox(of: user.userID, on: db) else { throw APIError.notFound("Inbox") }
            rule.destinationIDs = [inbox]
        }
        return rule
    }

    static func validTargets(_ rule: NotificationRule) throws {
        for target in rule.targets {
            guard target.utf8.count <= 200 else { throw APIError.badRequest("targets: at most 200 characters each") }
            switch rule.tracking {
            case .followed:
                if target == NotificationRule.starred { continue }
                let parts = target.split(separator: ":", maxSplits: 1)
                guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, !parts[0].hasPrefix("mention"), !parts[0].hasPrefix("owner"),
                    !parts[0].hasPrefix("actor"), target != EventReference.admin.key
                else { throw APIError.badRequest("targets: things as type:id (station:jazz, library:3, artist:12), or starred") }
            case .users:
                guard target == NotificationRule.following || Int64(target) != nil else {
                    throw APIError.badRequest("targets: user ids, or \"following\" for everyone you follow")
                }
            case .mentions, .owned, .admin:
                throw APIError.badRequest("targets: only followed and users rules have targets")
            }
        }
        if rule.tracking == .followed || rule.tracking == .users, rule.targets.isEmpty {
            throw APIError.badRequest("targets: a \(rule.tracking.rawValue) rule needs at least one")
        }
    }
}

import Foundation
import SQLKit

/// Queries over `notification_rules` and the rules' destinations.
enum NotificationRules {
    static func all(on db: any SQLDatabase) async throws -> [NotificationRule] {
        try await load(db.raw("SELECT * FROM notification_rules WHERE enabled = \(bind: true)").all(), on: db)
    }

    static func of(userID: Int64, on db: any SQLDatabase) async throws -> [NotificationRule] {
        try await load(db.raw("SELECT * FROM notification_rules WHERE user_id = \(bind: userID) ORDER BY id").all(), on: db)
    }

    /// `lock`: held until the transaction ends (PostgreSQL; SQLite's writer lock does the same),
    /// so a rule read to be changed cannot fire (and turn off) in between.
    static func find(_ id: Int64, userID: Int64, lock: Bool = false, on db: any SQLDatabase) async throws -> NotificationRule? {
        let forUpdate: SQLQueryString = lock && db.isPostgres ? " FOR UPDATE" : ""
        return try await load(
            db.raw("SELECT * FROM notification_rules WHERE id = \(bind: id) AND user_id = \(bind: userID)\(forUpdate)").all(), on: db
        ).first
    }

    private static func load(_ rows: [any SQLRow], on db: any SQLDatabase) async throws -> [NotificationRule] {
        var rules = try rows.map(rule(from:))
        guard !rules.isEmpty else { return [] }
        var destinations: [Int64: [Int64]] = [:]
        // In chunks: both databases limit bound parameters per statement.
        for chunk in rules.map(\.id).chunked(5000) {
            for row in try await db.raw(
                "SELECT rule_id, destination_id FROM notification_rule_destinations WHERE rule_id IN \(SQLBindGroup(Array(chunk)))"
            ).all() {
                destinations[try row.decode(column: "rule_id", as: Int64.self), default: []]
                    .append(try row.decode(column: "destination_id", as: Int64.self))
            }
        }
        for index in rules.indices { rules[index].destinationIDs = (destinations[rules[index].id] ?? []).sorted() }
        return rules
    }

    private static func rule(from row: any SQLRow) throws -> NotificationRule {
        let targets = try row.decode(column: "targets", as: String.self)
        let start = try row.decode(column: "quiet_start", as: Int?.self)
        let end = try row.decode(column: "quiet_end", as: Int?.self)
        return NotificationRule(
            id: try row.decode(column: "id", as: Int64.self),
            userID: try row.decode(column: "user_id", as: Int64.self),
            name: try row.decode(column: "name", as: String.self),
            tracking: NotificationRule.Tracking(rawValue: try row.decode(column: "tracking", as: String.self)) ?? .mentions,
            targets: (try? JSONDecoder().decode([String].self, from: Data(targets.utf8))) ?? [],
            types: try row.decode(column: "types", as: String.self).split(separator: " ").map(String.init),
            minSeverity: EventSeverity(rawValue: try row.decode(column: "min_severity", as: String.self)) ?? .info,
            includeOwn: try row.decode(column: "include_own", as: Bool.self),
            oneShot: try row.decode(column: "one_shot", as: Bool.self),
            enabled: try row.decode(column: "enabled", as: Bool.self),
            quietHours: start.flatMap { start in
                end.map { QuietHours(start: start, end: $0, timeZone: (try? row.decode(column: "time_zone", as: String.self)) ?? "UTC") }
            },
            destinationIDs: [],
            firedCount: try row.decode(column: "fired_count", as: Int64.self),
            lastFiredAt: try row.decode(column: "last_fired_at", as: Int64?.self))
    }

    /// Writes a new rule (`rule.id` ignored) and its destinations; returns its id.
    static func create(_ rule: NotificationRule, on db: any SQLDatabase) async throws -> Int64 {
        let row = try await db.raw(
            """
            INSERT INTO notification_rules (user_id, name, tracking, targets, types, min_severity, include_own, one_shot, enabled,
                quiet_start, quiet_end, time_zone, fired_count, created_at)
            VALUES (\(bind: rule.userID), \(bind: rule.name), \(bind: rule.tracking.rawValue), \(bind: try JSONValue.text(rule.targets)),
                \(bind: rule.types.joined(separator: " ")), \(bind: rule.minSeverity.rawValue), \(bind: rule.includeOwn), \(bind: rule.oneShot),
                \(bind: rule.enabled), \(bind: rule.quietHours?.start), \(bind: rule.quietHours?.end),
                \(bind: rule.quietHours?.timeZone ?? "UTC"), 0, \(bind: Clock.nowMillis()))
            RETURNING id
            """
        ).first()
        let id = try row?.decode(column: "id", as: Int64.self) ?? 0
        try await setDestinations(ruleID: id, rule.destinationIDs, on: db)
        return id
    }

    static func update(_ rule: NotificationRule, on db: any SQLDatabase) async throws {
        try await db.raw(
            """
            UPDATE notification_rules SET name = \(bind: rule.name), tracking = \(bind: rule.tracking.rawValue),
                targets = \(bind: try JSONValue.text(rule.targets)), types = \(bind: rule.types.joined(separator: " ")),
                min_severity = \(bind: rule.minSeverity.rawValue), include_own = \(bind: rule.includeOwn), one_shot = \(bind: rule.oneShot),
                enabled = \(bind: rule.enabled), quiet_start = \(bind: rule.quietHours?.start), quiet_end = \(bind: rule.quietHours?.end),
                time_zone = \(bind: rule.quietHours?.timeZone ?? "UTC")
            WHERE id = \(bind: rule.id) AND user_id = \(bind: rule.userID)
            """
        ).run()
        try await db.raw("DELETE FROM notification_rule_destinations WHERE rule_id = \(bind: rule.id)").run()
        try await setDestinations(ruleID: rule.id, rule.destinationIDs, on: db)
    }

    static func delete(_ id: Int64, userID: Int64, on db: any SQLDatabase) async throws -> Bool {
        try await db.raw("DELETE FROM notification_rules WHERE id = \(bind: id) AND user_id = \(bind: userID) RETURNING id").first() != nil
    }

    private static func setDestinations(ruleID: Int64, _ ids: [Int64], on db: any SQLDatabase) async throws {
        let rows: [[any SQLExpression]] = Set(ids).sorted().map { [SQLBind(ruleID), SQLBind($0)] }
        try await db.insertRows(into: "notification_rule_destinations (rule_id, destination_id)", rows: rows)
    }

    /// Counts what fired, and turns a one-shot rule off after its first time.
    static func fired(_ ids: [Int64], oneShot: [Int64], at millis: Int64, on db: any SQLDatabase) async throws {
        guard !ids.isEmpty else { return }
        try await db.raw(
            "UPDATE notification_rules SET fired_count = fired_count + 1, last_fired_at = \(bind: millis) WHERE id IN \(SQLBindGroup(ids))"
        ).run()
        if !oneShot.isEmpty {
            try await db.raw("UPDATE notification_rules SET enabled = \(bind: false) WHERE id IN \(SQLBindGroup(oneShot))").run()
        }
    }

    /// What a new user starts with (FMN 3 started people with nothing, and they heard nothing):
    /// everything about them in the app, and for administrators the server's warnings too. The
    /// inbox is made with them (once: a unique index), so a user with an inbox has had them.
    @discardableResult
    static func ensureDefaults(userID: Int64, isAdmin: Bool, on db: any SQLDatabase) async throws -> Bool {
        guard let inbox = try await NotificationDestinations.createInbox(userID: userID, on: db) else { return false }
        var rules = [
            NotificationRule(
                id: 0, userID: userID, name: "About me", tracking: .mentions, targets: [], types: [], minSeverity: .info,
                includeOwn: false, oneShot: false, enabled: true, quietHours: nil, destinationIDs: [inbox]),
            NotificationRule(
                id: 0, userID: userID, name: "My imports and uploads", tracking: .mentions, targets: [],
                types: ["upload.*", "library.scan.finished", "listens.import.finished"], minSeverity: .info,
                includeOwn: true, oneShot: false, enabled: true, quietHours: nil, destinationIDs: [inbox]),
        ]
        rules.append(
            NotificationRule(
                id: 0, userID: userID, name: "New albums by artists I starred", tracking: .followed, targets: [NotificationRule.starred],
                types: ["album.added"], minSeverity: .info, includeOwn: true, oneShot: false, enabled: true, quietHours: nil,
                destinationIDs: [inbox]))
        if isAdmin {
            rules.append(
                NotificationRule(
                    id: 0, userID: userID, name: "Server problems", tracking: .admin, targets: [], types: [], minSeverity: .warning,
                    includeOwn: true, oneShot: false, enabled: true, quietHours: nil, destinationIDs: [inbox]))
        }
        for rule in rules { _ = try await create(rule, on: db) }
        return true
    }
}

/// A parenthesised list of bound values for `IN`.
struct SQLBindGroup: SQLExpression {
    let values: [any Encodable & Sendable]
    init(_ values: [some Encodable & Sendable]) { self.values = values }

    func serialize(to serializer: inout SQLSerializer) {
        SQLGroupExpression(SQLList(values.map { SQLBind($0) })).serialize(to: &serializer)
    }
}

import Foundation
import NIOConcurrencyHelpers
import SQLKit

/// The notifications' event consumer: every notifiable event is matched against the rule index,
/// checked against what each rule's user may see, and becomes an inbox row and delivery rows,
/// written in the transaction that moves the consumer past the event (so exactly once).
final class NotificationMatcher: Sendable {
    static let consumerName = "notifications"
    /// The whole index is read again this often (role changes, rules written by hand).
    static let reloadAfterMs: Int64 = 10 * 60_000

    private struct State {
        var index = RuleIndex()
        var loadedAt: Int64?
        var admins: Set<Int64> = []
        /// Feature audiences (followers) per user, loaded when first needed.
        var filters: [Int64: [EventVisibility: any EventAudienceFilter]] = [:]
    }

    private let state = NIOLockedValueBox(State())
    let registry: EventRegistry

    init(registry: EventRegistry) {
        self.registry = registry
    }

    var consumer: EventConsumer {
        EventConsumer(name: Self.consumerName, start: .latest, batchSize: 500) { [self] events, tx in
            try await handle(events, on: tx.sql)
        }
    }

    var ruleCount: Int { state.withLockedValue { $0.index.count } }

    // MARK: - The index

    func load(on db: any SQLDatabase) async throws {
        var admins = Set<Int64>()
        var users: [(Int64, Bool)] = []
        for row in try await db.raw("SELECT id, role FROM users").all() {
            let id = try row.decode(column: "id", as: Int64.self)
            let isAdmin = try row.decode(column: "role", as: String.self) == UserRole.admin.rawValue
            users.append((id, isAdmin))
            if isAdmin { admins.insert(id) }
        }
        // Accounts made before notifications existed get their defaults now.
        let started = Set(
            try await db.raw("SELECT DISTINCT user_id FROM notification_destinations WHERE kind = 'inbox'").all()
                .map { try $0.decode(column: "user_id", as: Int64.self) })
        for (id, isAdmin) in users where !started.contains(id) {
            try await NotificationRules.createDefaults(userID: id, isAdmin: isAdmin, on: db)
        }
        let rules = try await NotificationRules.all(on: db)
        var following: [Int64: Set<Int64>] = [:]
        for userID in Set(rules.filter { $0.tracking == .users && $0.targets.contains(NotificationRule.following) }.map(\.userID)) {
            following[userID] = try await Follows.followees(of: userID, on: db)
        }
        let index = RuleIndex(rules: rules, following: following, admins: admins)
        state.withLockedValue {
            $0.index = index
            $0.admins = admins
            $0.filters = [:]
            $0.loadedAt = Clock.nowMillis()
        }
    }

    /// Reads one user's rules (and follows) again.
    func refresh(userID: Int64, on db: any SQLDatabase) async throws {
        let rules = try await NotificationRules.of(userID: userID, on: db)
        let following =
            rules.contains { $0.tracking == .users && $0.targets.contains(NotificationRule.following) }
            ? try await Follows.followees(of: userID, on: db) : []
        let isAdmin =
            try await db.raw("SELECT role FROM users WHERE id = \(bind: userID)").first()?
            .decode(column: "role", as: String.self) == UserRole.admin.rawValue
        state.withLockedValue {
            $0.index.replace(userID: userID, with: rules, following: following, isAdmin: isAdmin)
            if isAdmin { $0.admins.insert(userID) } else { $0.admins.remove(userID) }
            $0.filters[userID] = nil
        }
    }

    /// Tells a matcher made for one check (a preview) who is an administrator.
    func refreshAdmin(userID: Int64, isAdmin: Bool) async throws {
        state.withLockedValue { if isAdmin { $0.admins.insert(userID) } else { $0.admins.remove(userID) } }
    }

    // MARK: - Matching

    func handle(_ events: [EventRecord], on db: any SQLDatabase) async throws {
        let loadedAt = state.withLockedValue { $0.loadedAt }
        if loadedAt.map({ Clock.nowMillis() - $0 > Self.reloadAfterMs }) ?? true { try await load(on: db) }
        var destinations: [Int64: NotificationDestination] = [:]
        for event in events {
            try await observe(event, on: db)
            guard let kind = registry.notifiable(event.type) else { continue }
            let severity = kind.severity(event)
            let candidates = state.withLockedValue {
                $0.index.matches(type: event.type, severity: severity, actorID: event.actorID, references: kind.allReferences(of: event))
            }
            guard !candidates.isEmpty else { continue }
            var byUser: [Int64: [NotificationRule]] = [:]
            for rule in candidates {
                if try await maySee(event, userID: rule.userID, on: db) { byUser[rule.userID, default: []].append(rule) }
            }
            guard !byUser.isEmpty, let notice = try await kind.notice(event, db) else { continue }
            let expiresAt = kind.expiresAfterMs.map { event.createdAt + $0 }
            let wanted = Set(byUser.values.joined().flatMap(\.destinationIDs)).filter { destinations[$0] == nil }
            for (id, destination) in try await NotificationDestinations.find(ids: Array(wanted), on: db) { destinations[id] = destination }
            var fired: [NotificationRule] = []
            for (userID, rules) in byUser.sorted(by: { $0.key < $1.key }) {
                try await deliver(
                    event, notice: notice, severity: severity, expiresAt: expiresAt, to: userID, rules: rules,
                    destinations: destinations, on: db)
                fired += rules
            }
            let oneShot = fired.filter(\.oneShot).map(\.id)
            try await NotificationRules.fired(fired.map(\.id), oneShot: oneShot, at: event.createdAt, on: db)
            if !oneShot.isEmpty { state.withLockedValue { index in oneShot.forEach { index.index.remove($0) } } }
        }
    }

    /// Events that change what the matcher knows: a new account, someone's follows, their rules.
    private func observe(_ event: EventRecord, on db: any SQLDatabase) async throws {
        state.withLockedValue { state in
            for userID in Set([event.actorID, event.audienceUserID].compactMap { $0 }) {
                guard var filters = state.filters[userID] else { continue }
                for key in filters.keys { filters[key]?.observe(event) }
                state.filters[userID] = filters
            }
        }
        switch event.type {
        case AccountsEvents.created.name:
            guard let userID = event.actorID else { return }
            let isAdmin = event.decodedPayload(as: AccountsEvents.Created.self)?.role == UserRole.admin.rawValue
            let started = try await db.raw(
                "SELECT id FROM notification_destinations WHERE user_id = \(bind: userID) AND kind = 'inbox'"
            ).first()
            if started == nil { try await NotificationRules.createDefaults(userID: userID, isAdmin: isAdmin, on: db) }
            try await refresh(userID: userID, on: db)
        case NotificationsEvents.rulesChanged.name, "user.followed", "user.unfollowed":
            if let userID = event.actorID { try await refresh(userID: userID, on: db) }
        default:
            return
        }
    }

    /// Whether `userID` may see `event` at all: a rule never tells anyone more than the live
    /// event stream would show them.
    func maySee(_ event: EventRecord, userID: Int64, on db: any SQLDatabase) async throws -> Bool {
        if event.audienceUserID == userID || event.actorID == userID { return true }
        let isAdmin = state.withLockedValue { $0.admins.contains(userID) }
        switch event.visibility {
        case .instance: return true
        case .admin: return isAdmin
        case .user: return false
        default:
            if let filter = state.withLockedValue({ $0.filters[userID]?[event.visibility] }) { return filter.includes(event) }
            guard let audience = registry.audience(event.visibility) else { return false }
            let filter = try await audience.filter(for: EventViewer(userID: userID, isAdmin: isAdmin), on: db)
            state.withLockedValue { $0.filters[userID, default: [:]][event.visibility] = filter }
            return filter.includes(event)
        }
    }

    private func deliver(
        _ event: EventRecord, notice: EventNotice, severity: EventSeverity, expiresAt: Int64?, to userID: Int64,
        rules: [NotificationRule], destinations: [Int64: NotificationDestination], on db: any SQLDatabase
    ) async throws {
        var ruleIDsByDestination: [Int64: [Int64]] = [:]
        for rule in rules { for id in rule.destinationIDs { ruleIDsByDestination[id, default: []].append(rule.id) } }
        let now = Clock.nowMillis()
        for (destinationID, ruleIDs) in ruleIDsByDestination.sorted(by: { $0.key < $1.key }) {
            guard let destination = destinations[destinationID], destination.userID == userID, destination.isUsable else { continue }
            if destination.kind == .inbox {
                if let id = try await Inbox.add(
                    userID: userID, event: event, notice: notice, severity: severity, ruleIDs: ruleIDs, expiresAt: expiresAt, on: db)
                {
                    let unread = try await Inbox.unreadCount(userID: userID, on: db)
                    try await EventStore.append(
                        NotificationsEvents.created,
                        payload: .init(id: String(id), title: notice.title, severity: severity.rawValue, unread: unread),
                        actorID: nil, subjectID: String(id), audienceUserID: userID, on: db)
                }
                continue
            }
            let here = rules.filter { ruleIDs.contains($0.id) }
            // Quiet only when every rule sending here is in its quiet hours.
            let quietUntil = here.allSatisfy { $0.quietHours?.contains(now) == true } ? here.compactMap { $0.quietHours?.end(after: now) }.max() : nil
            var held = destination.isDigest || quietUntil != nil
            var holdUntil = quietUntil
            if !held, destination.ratePerHour > 0,
                try await Deliveries.messagesSent(destinationID: destinationID, since: now - 3_600_000, on: db) >= destination.ratePerHour
            {
                // Over the limit: it waits, and goes out with the others in one message.
                held = true
                holdUntil = now + 3_600_000 / Int64(destination.ratePerHour)
            }
            // News that expires is never put in a digest.
            if held, expiresAt != nil { continue }
            try await Deliveries.add(
                destinationID: destinationID, userID: userID, event: event, notice: notice, severity: severity, ruleIDs: ruleIDs,
                expiresAt: expiresAt, held: held, holdUntil: holdUntil, on: db)
        }
    }
}

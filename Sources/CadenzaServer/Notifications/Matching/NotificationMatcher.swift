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
        /// One-shot rules that fired: off in the database, skipped here until their user's
        /// rules are read back (events of other writers may come before that change in the log).
        var spent: Set<Int64> = []
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
            try await NotificationRules.ensureDefaults(userID: id, isAdmin: isAdmin, on: db)
        }
        let rules = try await NotificationRules.all(on: db)
        var following: [Int64: Set<Int64>] = [:]
        for userID in Set(rules.filter(\.needsFollowing).map(\.userID)) {
            following[userID] = try await Follows.followees(of: userID, on: db)
        }
        var starred: [Int64: Set<Int64>] = [:]
        for userID in Set(rules.filter(\.needsStarred).map(\.userID)) {
            starred[userID] = Set(try await CatalogQueries.starredArtistIDs(userID: userID, on: db))
        }
        let index = RuleIndex(rules: rules, following: following, starred: starred, admins: admins)
        state.withLockedValue {
            $0.index = index
            $0.admins = admins
            $0.filters = [:]
            $0.spent = []
            $0.loadedAt = Clock.nowMillis()
        }
    }

    /// Reads one user's rules (and follows) again.
    func refresh(userID: Int64, on db: any SQLDatabase) async throws {
        let rules = try await NotificationRules.of(userID: userID, on: db)
        let following = rules.contains(where: \.needsFollowing) ? try await Follows.followees(of: userID, on: db) : []
        let starred = rules.contains(where: \.needsStarred) ? Set(try await CatalogQueries.starredArtistIDs(userID: userID, on: db)) : []
        let isAdmin =
            try await db.raw("SELECT role FROM users WHERE id = \(bind: userID)").first()?
            .decode(column: "role", as: String.self) == UserRole.admin.rawValue
        state.withLockedValue {
            $0.index.replace(userID: userID, with: rules, following: following, starred: starred, isAdmin: isAdmin)
            $0.spent.subtract(rules.map(\.id))
            if isAdmin { $0.admins.insert(userID) } else { $0.admins.remove(userID) }
            $0.filters[userID] = nil
        }
    }

    /// Tells a matcher made for one check (a preview) who is an administrator.
    func refreshAdmin(userID: Int64, isAdmin: Bool) {
        state.withLockedValue { if isAdmin { $0.admins.insert(userID) } else { $0.admins.remove(userID) } }
    }

    // MARK: - Matching

    func handle(_ events: [EventRecord], on db: any SQLDatabase) async throws {
        let loadedAt = state.withLockedValue { $0.loadedAt }
        if loadedAt.map({ Clock.nowMillis() - $0 > Self.reloadAfterMs }) ?? true { try await load(on: db) }
        var destinations: [Int64: NotificationDestination] = [:]
        // Written after the batch: an event append holds PostgreSQL's event lock until commit,
        // and rule rows are updated here (the rules API takes them in the other order).
        var created: [(userID: Int64, payload: NotificationsEvents.Created)] = []
        // One-shot rules fired in this batch: off in the database at once, skipped from now on,
        // out of the index once the change is read back from the log; a batch that fails gives
        // them back (its retry fires them again).
        var spent = state.withLockedValue { $0.spent }
        var spentNow = Set<Int64>()
        var spentBy = Set<Int64>()
        do {
            try await match(
                events, destinations: &destinations, created: &created, spent: &spent, spentNow: &spentNow, spentBy: &spentBy, on: db)
            for userID in spentBy.sorted() { try await NotificationsEvents.appendRulesChanged(userID: userID, on: db) }
            for (userID, payload) in created {
                try await EventStore.append(
                    NotificationsEvents.created, payload: payload, actorID: nil, subjectID: payload.id, audienceUserID: userID, on: db)
            }
        } catch {
            state.withLockedValue { $0.spent.subtract(spentNow) }
            throw error
        }
    }

    private func match(
        _ events: [EventRecord], destinations: inout [Int64: NotificationDestination],
        created: inout [(userID: Int64, payload: NotificationsEvents.Created)], spent: inout Set<Int64>, spentNow: inout Set<Int64>,
        spentBy: inout Set<Int64>, on db: any SQLDatabase
    ) async throws {
        for event in events {
            try await observe(event, on: db)
            guard let kind = registry.notifiable(event.type) else { continue }
            let severity = kind.severity(event)
            let candidates = state.withLockedValue {
                $0.index.matches(
                    type: event.type, severity: severity, actorID: kind.ownActionsCount ? event.actorID : nil,
                    references: kind.allReferences(of: event))
            }
            guard !candidates.isEmpty else { continue }
            var byUser: [Int64: [NotificationRule]] = [:]
            for rule in candidates where !spent.contains(rule.id) {
                if try await maySee(event, userID: rule.userID, on: db) { byUser[rule.userID, default: []].append(rule) }
            }
            guard !byUser.isEmpty, let notice = try await kind.notice(event, db) else { continue }
            let expiresAt = kind.expiresAfterMs.map { event.createdAt + $0 }
            let wanted = Set(byUser.values.joined().flatMap(\.destinationIDs)).filter { destinations[$0] == nil }
            for (id, destination) in try await NotificationDestinations.find(ids: Array(wanted), on: db) { destinations[id] = destination }
            var fired: [NotificationRule] = []
            for (userID, rules) in byUser.sorted(by: { $0.key < $1.key }) {
                created += try await deliver(
                    event, notice: notice, severity: severity, expiresAt: expiresAt, to: userID, rules: rules,
                    destinations: destinations, on: db
                ).map { (userID, $0) }
                fired += rules
            }
            let oneShot = fired.filter(\.oneShot)
            try await NotificationRules.fired(fired.map(\.id), oneShot: oneShot.map(\.id), at: event.createdAt, on: db)
            spent.formUnion(oneShot.map(\.id))
            spentNow.formUnion(oneShot.map(\.id))
            spentBy.formUnion(oneShot.map(\.userID))
            if !oneShot.isEmpty { state.withLockedValue { $0.spent.formUnion(oneShot.map(\.id)) } }
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
            guard let userID = event.subjectID.flatMap({ Int64($0) }) else { return }
            let isAdmin = event.decodedPayload(as: AccountsEvents.Created.self)?.role == UserRole.admin.rawValue
            try await NotificationRules.ensureDefaults(userID: userID, isAdmin: isAdmin, on: db)
            try await refresh(userID: userID, on: db)
        case NotificationsEvents.rulesChanged.name, "user.followed", "user.unfollowed":
            if let userID = event.actorID { try await refresh(userID: userID, on: db) }
        case AccountsEvents.roleChanged.name:
            if let userID = event.audienceUserID { try await refresh(userID: userID, on: db) }
        default:
            return
        }
    }

    /// Whether `userID` may see `event` at all: a rule never tells anyone more than the live
    /// event stream would show them.
    func maySee(_ event: EventRecord, userID: Int64, on db: any SQLDatabase) async throws -> Bool {
        let isAdmin = state.withLockedValue { $0.admins.contains(userID) }
        switch event.visibility {
        case .instance: return true
        case .admin: return isAdmin
        case .user: return event.audienceUserID == userID || event.actorID == userID
        default:
            if event.audienceUserID == userID || event.actorID == userID { return true }
            if let filter = state.withLockedValue({ $0.filters[userID]?[event.visibility] }) { return filter.includes(event) }
            guard let audience = registry.audience(event.visibility) else { return false }
            let filter = try await audience.filter(for: EventViewer(userID: userID, isAdmin: isAdmin), on: db)
            state.withLockedValue { $0.filters[userID, default: [:]][event.visibility] = filter }
            return filter.includes(event)
        }
    }

    /// Writes the inbox row and delivery rows of one event for one user; returns the inbox
    /// notices to announce.
    private func deliver(
        _ event: EventRecord, notice: EventNotice, severity: EventSeverity, expiresAt: Int64?, to userID: Int64,
        rules: [NotificationRule], destinations: [Int64: NotificationDestination], on db: any SQLDatabase
    ) async throws -> [NotificationsEvents.Created] {
        var created: [NotificationsEvents.Created] = []
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
                    created.append(.init(id: String(id), title: notice.title, severity: severity.rawValue, unread: unread))
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
        return created
    }
}

/// Every enabled rule of every user, indexed by what it watches: an event's references pick the
/// candidate rules (FMN 3 checked every rule against every tracked message; its own TODO asks
/// for this map). Rebuilt per user when their rules or follows change.
struct RuleIndex: Sendable {
    /// A rule as the index keeps it: its keys resolved and its globs compiled.
    struct Entry: Sendable {
        var rule: NotificationRule
        var keys: [String]
        var globs: [TypeGlob]
    }

    private(set) var entries: [Int64: Entry] = [:]
    private var byKey: [String: [Int64]] = [:]
    private var byUser: [Int64: [Int64]] = [:]

    init() {}

    /// `following`: whom each user follows (for `users` rules naming `following`); `starred`:
    /// the artists each starred (for `followed` rules naming `starred`); `admins`: who may have
    /// `admin` rules.
    init(rules: [NotificationRule], following: [Int64: Set<Int64>], starred: [Int64: Set<Int64>] = [:], admins: Set<Int64>) {
        for rule in rules {
            add(rule, following: following[rule.userID] ?? [], starred: starred[rule.userID] ?? [], isAdmin: admins.contains(rule.userID))
        }
    }

    var count: Int { entries.count }

    /// Replaces one user's rules.
    mutating func replace(userID: Int64, with rules: [NotificationRule], following: Set<Int64>, starred: Set<Int64> = [], isAdmin: Bool) {
        for id in byUser[userID] ?? [] { remove(id) }
        byUser[userID] = nil
        for rule in rules where rule.userID == userID { add(rule, following: following, starred: starred, isAdmin: isAdmin) }
    }

    mutating func remove(_ id: Int64) {
        guard let entry = entries.removeValue(forKey: id) else { return }
        for key in entry.keys {
            byKey[key]?.removeAll { $0 == id }
            if byKey[key]?.isEmpty == true { byKey[key] = nil }
        }
        byUser[entry.rule.userID]?.removeAll { $0 == id }
    }

    private mutating func add(_ rule: NotificationRule, following: Set<Int64>, starred: Set<Int64>, isAdmin: Bool) {
        guard rule.enabled else { return }
        let keys = Self.keys(of: rule, following: following, starred: starred, isAdmin: isAdmin)
        entries[rule.id] = Entry(rule: rule, keys: keys, globs: rule.types.map(TypeGlob.init))
        for key in keys { byKey[key, default: []].append(rule.id) }
        byUser[rule.userID, default: []].append(rule.id)
    }

    static func keys(of rule: NotificationRule, following: Set<Int64>, starred: Set<Int64> = [], isAdmin: Bool) -> [String] {
        switch rule.tracking {
        case .mentions: return [EventReference.mention(rule.userID).key]
        case .owned: return [EventReference.owner(rule.userID).key]
        case .followed:
            var keys = Set(rule.targets.filter { $0 != NotificationRule.starred })
            if rule.targets.contains(NotificationRule.starred) {
                keys.formUnion(starred.map { EventReference.object("artist", String($0)).key })
            }
            return Array(keys)
        case .admin: return isAdmin ? [EventReference.admin.key] : []
        case .users:
            var users = Set(rule.targets.compactMap(Int64.init))
            if rule.targets.contains(NotificationRule.following) { users.formUnion(following) }
            return users.map { EventReference.actor($0).key }
        }
    }

    /// The rules an event fires: those whose keys it references and whose filters it passes.
    /// Visibility (whether the rule's user may see the event at all) is the caller's to check.
    func matches(type: String, severity: EventSeverity, actorID: Int64?, references: [EventReference]) -> [NotificationRule] {
        var seen = Set<Int64>()
        var result: [NotificationRule] = []
        for reference in references {
            for id in byKey[reference.key] ?? [] where seen.insert(id).inserted {
                guard let entry = entries[id] else { continue }
                let rule = entry.rule
                if !rule.includeOwn, let actorID, actorID == rule.userID { continue }
                if severity < rule.minSeverity { continue }
                if !entry.globs.isEmpty, !entry.globs.contains(where: { $0.matches(type) }) { continue }
                result.append(rule)
            }
        }
        return result
    }
}

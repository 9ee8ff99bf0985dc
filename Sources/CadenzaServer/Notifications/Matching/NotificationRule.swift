import Foundation

/// One user's rule: what to watch (`tracking` and its targets), which of those events count
/// (filters), and where they go (destinations). FMN's shape, with the filters flattened.
struct NotificationRule: Sendable, Equatable {
    enum Tracking: String, Sendable, Codable, CaseIterable {
        /// Events about me: my imports and uploads, someone following me, my password.
        case mentions
        /// Events about what I own (my stations, my libraries).
        case owned
        /// Events about things I follow: targets are `type:id` (`station:jazz`, `library:3`,
        /// `artist:12`), or `starred` for every artist I starred.
        case followed
        /// What people do: targets are user ids, or `following` for everyone I follow.
        case users
        /// Administrators' business (silent stations, failed jobs); only for administrators.
        case admin
    }

    var id: Int64
    var userID: Int64
    var name: String
    var tracking: Tracking
    var targets: [String]
    /// Event type globs (`station.*`); empty for every type.
    var types: [String]
    var minSeverity: EventSeverity
    /// Whether the user's own actions count ("not my own actions" is the default).
    var includeOwn: Bool
    var oneShot: Bool
    var enabled: Bool
    var quietHours: QuietHours?
    var destinationIDs: [Int64]
    var firedCount: Int64 = 0
    var lastFiredAt: Int64? = nil

    /// The special target of a `users` rule that stands for everyone the user follows.
    static let following = "following"
    /// The special target of a `followed` rule that stands for every artist the user starred.
    static let starred = "starred"

    var needsFollowing: Bool { tracking == .users && targets.contains(Self.following) }
    var needsStarred: Bool { tracking == .followed && targets.contains(Self.starred) }
}

/// Hours in which a rule sends nothing outside the app, in the user's time zone.
struct QuietHours: Sendable, Equatable {
    /// Minutes after local midnight; a span across midnight has start > end.
    var start: Int
    var end: Int
    var timeZone: String

    func contains(_ millis: Int64) -> Bool {
        let calendar = LocalCalendar(identifier: timeZone)
        let seconds = calendar.localSeconds(millis / 1000)
        let minute = Int(LocalCalendar.floorDiv(seconds, 60) - LocalCalendar.floorDiv(seconds, 86_400) * 1440)
        if start == end { return false }
        return start < end ? (minute >= start && minute < end) : (minute >= start || minute < end)
    }

    /// The first instant at or after `millis` outside these hours.
    func end(after millis: Int64) -> Int64 {
        guard contains(millis) else { return millis }
        var t = millis
        // Minute steps from a whole minute: at most a day of them, cheap, and right across DST.
        t -= t % 60_000
        for _ in 0..<1441 {
            t += 60_000
            if !contains(t) { return t }
        }
        return millis
    }
}

/// A type glob: `*` stands for any run of characters, everything else for itself.
struct TypeGlob: Sendable, Equatable {
    let pattern: String
    private let parts: [Substring]

    init(_ pattern: String) {
        self.pattern = pattern
        parts = pattern.split(separator: "*", omittingEmptySubsequences: false)
    }

    func matches(_ type: String) -> Bool {
        guard parts.count > 1 else { return type == pattern }
        var rest = Substring(type)
        guard let first = parts.first, rest.hasPrefix(first) else { return false }
        rest = rest.dropFirst(first.count)
        for (index, part) in parts.enumerated().dropFirst() {
            if index == parts.count - 1 { return part.isEmpty || rest.hasSuffix(part) }
            if part.isEmpty { continue }
            guard let found = rest.range(of: part) else { return false }
            rest = rest[found.upperBound...]
        }
        return true
    }
}

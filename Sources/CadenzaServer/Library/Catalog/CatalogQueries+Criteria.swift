import CadenzaTags
import Foundation
import SQLKit

/// A filter over the catalog's tracks, for features that choose music by rule (radio smart
/// blocks): rules in groups, each group matching all or any of its rules, the groups combined
/// the same way. Text is compared by the catalog's matching keys (case and accents folded the
/// same on both databases).
struct TrackCriteria: Codable, Sendable, Equatable {
    enum Field: String, Codable, Sendable, CaseIterable {
        case title, artist, album, genre, year, duration, added, rating, playCount, replayGain, bpm

        var isText: Bool { [.title, .artist, .album, .genre].contains(self) }
    }

    enum Operator: String, Codable, Sendable {
        case `is`, isNot, contains, notContains, startsWith
        case lessThan, greaterThan, between
        /// `added` only: within / not within the last N days.
        case inLastDays, notInLastDays
    }

    struct Rule: Codable, Sendable, Equatable {
        var field: Field
        var op: Operator
        /// Text, or a number (seconds for duration, stars 0–5 for rating, dB for replayGain, beats per minute for bpm).
        var value: String
        /// The upper bound of `between`.
        var to: String?

        enum CodingKeys: String, CodingKey {
            case field, op, value, to
        }

        init(field: Field, op: Operator, value: String, to: String? = nil) {
            self.field = field
            self.op = op
            self.value = value
            self.to = to
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            field = try container.decode(Field.self, forKey: .field)
            op = try container.decode(Operator.self, forKey: .op)
            value = try Self.text(container, .value) ?? ""
            to = try Self.text(container, .to)
        }

        /// A value given as text or as a JSON number.
        private static func text(_ container: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) throws -> String? {
            if let text = try? container.decodeIfPresent(String.self, forKey: key) { return text }
            return try container.decodeIfPresent(Double.self, forKey: key).map { $0.rounded() == $0 ? String(Int64(exactly: $0) ?? 0) : String($0) }
        }
    }

    struct Group: Codable, Sendable, Equatable {
        /// All of the rules (true) or any of them.
        var all: Bool
        var rules: [Rule]
    }

    var all: Bool
    var groups: [Group]

    static let maxGroups = 10
    static let maxRules = 20

    /// What is wrong with the criteria, in words for the person who wrote them; nil when fine.
    func problem() -> String? {
        guard groups.count <= Self.maxGroups else { return "At most \(Self.maxGroups) groups." }
        for group in groups {
            guard group.rules.count <= Self.maxRules else { return "At most \(Self.maxRules) rules in a group." }
            for rule in group.rules {
                guard rule.value.count <= 200, (rule.to?.count ?? 0) <= 200 else { return "A rule's value is at most 200 characters." }
                if rule.field.isText {
                    guard [.is, .isNot, .contains, .notContains, .startsWith].contains(rule.op) else {
                        return "\(rule.field.rawValue) takes is, isNot, contains, notContains or startsWith."
                    }
                    guard !NameKey.make(rule.value).isEmpty else { return "\(rule.field.rawValue) needs a value." }
                } else if rule.field == .added {
                    guard [.inLastDays, .notInLastDays].contains(rule.op) else { return "added takes inLastDays or notInLastDays." }
                    guard let days = Int(rule.value), (0...36_500).contains(days) else { return "added takes a number of days (0 to 36500)." }
                } else {
                    guard [.is, .isNot, .lessThan, .greaterThan, .between].contains(rule.op) else {
                        return "\(rule.field.rawValue) takes is, isNot, lessThan, greaterThan or between."
                    }
                    guard Self.number(rule.value) != nil, rule.op != .between || rule.to.flatMap(Self.number) != nil else {
                        return "\(rule.field.rawValue) takes numbers (from -1000000 to 1000000)."
                    }
                }
            }
        }
        return nil
    }

    /// A number from a rule, bounded so no conversion or product can overflow.
    static func number(_ text: String) -> Double? {
        guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value.isFinite, abs(value) <= 1_000_000 else { return nil }
        return value
    }
}

extension CatalogQueries {
    enum CriteriaOrder: Sendable {
        case random, newest
    }

    /// The tracks of `libraries` matching `criteria` (ratings and play counts are `userID`'s;
    /// none when nil), one imported file each, at most `limit`.
    static func tracks(
        matching criteria: TrackCriteria, libraries: [Int64], userID: Int64?, order: CriteriaOrder, limit: Int, now: Int64 = Clock.nowMillis(),
        on db: any SQLDatabase
    ) async throws -> [AirableTrack] {
        guard !libraries.isEmpty, limit > 0 else { return [] }
        let sort: SQLQueryString = order == .newest ? "t.created_at DESC, t.id DESC" : "RANDOM()"
        let rows = try await db.raw(
            """
            SELECT t.id, t.title, t.artist_display, t.duration_ms, f.path, lf.path AS root
            FROM tracks t JOIN albums al ON al.id = t.album_id
            JOIN files f ON f.id = (SELECT MIN(f2.id) FROM files f2 WHERE f2.track_id = t.id AND f2.status = 'imported')
            JOIN library_folders lf ON lf.id = f.folder_id
            WHERE t.library_id IN (\(SQLList(libraries.map { SQLBind($0) }))) AND t.duration_ms > 0
              AND \(condition(criteria, userID: userID, now: now))
            ORDER BY \(sort) LIMIT \(bind: limit)
            """
        ).all()
        return try rows.compactMap(airable)
    }

    /// How many tracks match, and their length in all (a smart block's preview).
    static func countMatching(
        _ criteria: TrackCriteria, libraries: [Int64], userID: Int64?, now: Int64 = Clock.nowMillis(), on db: any SQLDatabase
    ) async throws -> (tracks: Int, durationMs: Int64) {
        guard !libraries.isEmpty else { return (0, 0) }
        let row = try await db.raw(
            """
            SELECT COUNT(*) AS n, CAST(SUM(t.duration_ms) AS BIGINT) AS ms FROM tracks t JOIN albums al ON al.id = t.album_id
            WHERE t.library_id IN (\(SQLList(libraries.map { SQLBind($0) }))) AND t.duration_ms > 0
              AND EXISTS (SELECT 1 FROM files f WHERE f.track_id = t.id AND f.status = 'imported')
              AND \(condition(criteria, userID: userID, now: now))
            """
        ).first()
        return (try row?.decode(column: "n", as: Int.self) ?? 0, try row?.decode(column: "ms", as: Int64?.self) ?? 0)
    }

    private static func condition(_ criteria: TrackCriteria, userID: Int64?, now: Int64) -> SQLQueryString {
        let groups: [SQLQueryString] = criteria.groups.filter { !$0.rules.isEmpty }.map { group in
            let rules = group.rules.map { condition($0, userID: userID, now: now) }
            return "(" + joined(rules, group.all ? " AND " : " OR ") + ")"
        }
        guard !groups.isEmpty else { return "1 = 1" }
        return "(" + joined(groups, criteria.all ? " AND " : " OR ") + ")"
    }

    private static func joined(_ parts: [SQLQueryString], _ separator: String) -> SQLQueryString {
        parts.dropFirst().reduce(parts[0]) { $0 + SQLQueryString(stringLiteral: separator) + $1 }
    }

    private static func condition(_ rule: TrackCriteria.Rule, userID: Int64?, now: Int64) -> SQLQueryString {
        if rule.field.isText { return textCondition(rule) }
        let value = TrackCriteria.number(rule.value) ?? 0
        if rule.field == .added {
            let since = now - Int64(max(0, min(value, 36_500))) * 86_400_000
            return rule.op == .inLastDays ? "t.created_at >= \(bind: since)" : "t.created_at < \(bind: since)"
        }
        let column: SQLQueryString
        var scale = 1.0
        switch rule.field {
        case .year: column = "t.year"
        case .duration:
            column = "t.duration_ms"
            scale = 1000
        case .replayGain: column = "t.rg_track_gain"
        case .bpm: column = "t.bpm"
        case .rating:
            column =
                "COALESCE((SELECT r.rating FROM ratings r WHERE r.user_id = \(bind: userID ?? 0) AND r.item_type = 'track' AND r.item_id = t.id), 0)"
        case .playCount:
            column = "COALESCE((SELECT p.play_count FROM play_stats p WHERE p.user_id = \(bind: userID ?? 0) AND p.track_id = t.id), 0)"
        default: column = "t.year"
        }
        let low = value * scale
        switch rule.op {
        case .is: return "\(column) = \(bind: low)"
        case .isNot: return "(\(column) IS NULL OR \(column) <> \(bind: low))"
        case .lessThan: return "\(column) < \(bind: low)"
        case .greaterThan: return "\(column) > \(bind: low)"
        default:
            let high = (rule.to.flatMap(TrackCriteria.number) ?? value) * scale
            return "\(column) BETWEEN \(bind: min(low, high)) AND \(bind: max(low, high))"
        }
    }

    /// Text by matching key: titles by their sort key (as the catalog's search), artists and
    /// genres by their name key, through the tables that list them per track.
    private static func textCondition(_ rule: TrackCriteria.Rule) -> SQLQueryString {
        let sortKeyed = rule.field == .title || rule.field == .album
        let key = sortKeyed ? NameKey.sort(rule.value) : NameKey.make(rule.value)
        let match: (String) -> SQLQueryString = { column in
            switch rule.op {
            case .is, .isNot: "\(unsafeRaw: column) = \(bind: key)"
            case .startsWith: "\(unsafeRaw: column) LIKE \(bind: escapeLike(key) + "%") ESCAPE '\\'"
            default: "\(unsafeRaw: column) LIKE \(bind: "%" + escapeLike(key) + "%") ESCAPE '\\'"
            }
        }
        let positive: SQLQueryString
        switch rule.field {
        case .title: positive = match("t.sort_title")
        case .album: positive = match("al.sort_title")
        case .artist:
            positive =
                "EXISTS (SELECT 1 FROM track_artists ta JOIN artists ar ON ar.id = ta.artist_id WHERE ta.track_id = t.id AND \(match("ar.name_key")))"
        default:
            positive =
                "EXISTS (SELECT 1 FROM track_genres tg JOIN genres g ON g.id = tg.genre_id WHERE tg.track_id = t.id AND \(match("g.name_key")))"
        }
        return rule.op == .isNot || rule.op == .notContains ? "NOT " + positive : positive
    }
}

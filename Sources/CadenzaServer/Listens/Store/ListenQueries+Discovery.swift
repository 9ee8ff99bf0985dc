import SQLKit

/// What discovery reads of listening history: tracks of the library each user played, and when.
/// Only listens matched to a library track count.
extension ListenQueries {
    /// (user, track, listens) for every user whose listens may shape others' recommendations:
    /// not private, and not opted out. Handed to `row` as they stream in (millions at scale).
    static func sharedTrackCounts(on db: any SQLDatabase, row: @escaping @Sendable (Int64, Int64, Int64) -> Void) async throws {
        try await db.raw(
            """
            SELECT e.user_id, r.track_id, CAST(SUM(e.count) AS BIGINT) AS plays FROM listen_entity_totals e
            JOIN listen_recordings r ON r.id = e.entity_id JOIN users u ON u.id = e.user_id
            WHERE e.kind = \(bind: StatsRollup.Kind.recording.rawValue) AND r.track_id IS NOT NULL
              AND u.listens_visibility <> 'private' AND u.listens_for_discovery = \(bind: true)
            GROUP BY e.user_id, r.track_id
            """
        ).run { result in
            guard let user = try? result.decode(column: "user_id", as: Int64.self),
                let track = try? result.decode(column: "track_id", as: Int64.self),
                let plays = try? result.decode(column: "plays", as: Int64.self)
            else { return }
            row(user, track, plays)
        }
    }

    /// A user's most played tracks of all time (their own history, private or not).
    static func topTracks(userID: Int64, limit: Int, on db: any SQLDatabase) async throws -> [(track: Int64, plays: Int64)] {
        try await db.raw(
            """
            SELECT r.track_id, CAST(SUM(e.count) AS BIGINT) AS plays FROM listen_entity_totals e JOIN listen_recordings r ON r.id = e.entity_id
            WHERE e.user_id = \(bind: userID) AND e.kind = \(bind: StatsRollup.Kind.recording.rawValue) AND r.track_id IS NOT NULL
            GROUP BY r.track_id ORDER BY plays DESC, r.track_id LIMIT \(bind: limit)
            """
        ).all().map { (try $0.decode(column: "track_id", as: Int64.self), try $0.decode(column: "plays", as: Int64.self)) }
    }

    /// Tracks a user played since `since` (seconds), most played first.
    static func recentTracks(userID: Int64, since: Int64, limit: Int, on db: any SQLDatabase) async throws -> [(track: Int64, plays: Int64)] {
        try await db.raw(
            """
            SELECT r.track_id, COUNT(*) AS plays FROM listens l JOIN listen_recordings r ON r.id = l.recording_id
            WHERE l.user_id = \(bind: userID) AND l.listened_at >= \(bind: since) AND r.track_id IS NOT NULL
            GROUP BY r.track_id ORDER BY plays DESC, r.track_id LIMIT \(bind: limit)
            """
        ).all().map { (try $0.decode(column: "track_id", as: Int64.self), try $0.decode(column: "plays", as: Int64.self)) }
    }

    /// Every track a user ever played.
    static func playedTracks(userID: Int64, on db: any SQLDatabase) async throws -> Set<Int64> {
        Set(
            try await db.raw(
                """
                SELECT DISTINCT r.track_id FROM listen_entity_totals e JOIN listen_recordings r ON r.id = e.entity_id
                WHERE e.user_id = \(bind: userID) AND e.kind = \(bind: StatsRollup.Kind.recording.rawValue) AND r.track_id IS NOT NULL
                """
            ).all().map { try $0.decode(column: "track_id", as: Int64.self) })
    }

    /// Tracks played within any of `windows` (seconds, half-open), most played first: "on this day".
    static func tracksPlayed(userID: Int64, within windows: [Range<Int64>], limit: Int, on db: any SQLDatabase) async throws -> [Int64] {
        guard !windows.isEmpty else { return [] }
        let clauses = SQLList(
            windows.map { SQLQueryString("(l.listened_at >= \(bind: $0.lowerBound) AND l.listened_at < \(bind: $0.upperBound))") },
            separator: SQLRaw(" OR "))
        return try await db.raw(
            """
            SELECT r.track_id, COUNT(*) AS plays FROM listens l JOIN listen_recordings r ON r.id = l.recording_id
            WHERE l.user_id = \(bind: userID) AND (\(clauses)) AND r.track_id IS NOT NULL
            GROUP BY r.track_id ORDER BY plays DESC, r.track_id LIMIT \(bind: limit)
            """
        ).all().map { try $0.decode(column: "track_id", as: Int64.self) }
    }

    /// Tracks a user played at least `minPlays` times but not since `before` (seconds): "rediscover".
    static func forgottenFavourites(userID: Int64, minPlays: Int, before: Int64, limit: Int, on db: any SQLDatabase) async throws -> [Int64] {
        try await db.raw(
            """
            SELECT r.track_id, COUNT(*) AS plays FROM listens l JOIN listen_recordings r ON r.id = l.recording_id
            WHERE l.user_id = \(bind: userID) AND r.track_id IS NOT NULL
            GROUP BY r.track_id HAVING COUNT(*) >= \(bind: minPlays) AND MAX(l.listened_at) < \(bind: before)
            ORDER BY plays DESC, r.track_id LIMIT \(bind: limit)
            """
        ).all().map { try $0.decode(column: "track_id", as: Int64.self) }
    }

    /// Users with any listen, their time zones (for the playlists made for them) and whether they administer.
    static func listeners(on db: any SQLDatabase) async throws -> [Listener] {
        try await db.raw(
            "SELECT u.id, u.time_zone, u.role FROM users u JOIN listen_counts c ON c.user_id = u.id WHERE c.count > 0 ORDER BY u.id"
        ).all().map(Listener.init(row:))
    }

    static func listener(userID: Int64, on db: any SQLDatabase) async throws -> Listener? {
        try await db.raw("SELECT id, time_zone, role FROM users WHERE id = \(bind: userID)").first().map(Listener.init(row:))
    }

    struct Listener: Sendable {
        var userID: Int64
        var timeZone: String
        var isAdmin: Bool

        init(row: any SQLRow) throws {
            userID = try row.decode(column: "id", as: Int64.self)
            timeZone = try row.decode(column: "time_zone", as: String.self)
            isAdmin = try row.decode(column: "role", as: String.self) == "admin"
        }
    }
}

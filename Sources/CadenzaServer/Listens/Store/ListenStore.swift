import Foundation
import SQLKit

/// Whose listens, and the settings that shape them.
struct ListenOwner: Sendable {
    var userID: Int64
    var username: String
    var timeZone: String
    var visibility: String

    static func load(userID: Int64, on db: any SQLDatabase) async throws -> ListenOwner? {
        try await db.raw("SELECT id, username, time_zone, listens_visibility FROM users WHERE id = \(bind: userID)").first()
            .map(ListenOwner.init(row:))
    }

    static func load(username: String, on db: any SQLDatabase) async throws -> ListenOwner? {
        try await db.raw(
            """
            SELECT id, username, time_zone, listens_visibility FROM users WHERE username_key = \(bind: User.key(for: username))
            """
        ).first().map(ListenOwner.init(row:))
    }

    init(userID: Int64, username: String, timeZone: String, visibility: String) {
        self.userID = userID
        self.username = username
        self.timeZone = timeZone
        self.visibility = visibility
    }

    init(row: any SQLRow) throws {
        userID = try row.decode(column: "id", as: Int64.self)
        username = try row.decode(column: "username", as: String.self)
        timeZone = try row.decode(column: "time_zone", as: String.self)
        visibility = try row.decode(column: "listens_visibility", as: String.self)
    }

    var calendar: LocalCalendar { LocalCalendar(identifier: timeZone) }

    /// Who receives this user's live listens: followers too, unless the listens are private.
    var liveVisibility: EventVisibility { visibility == "private" ? .user : .followers }
}

/// Stores listens: one statement per table per batch, duplicates dropped by the
/// (user, listened_at, track_name) key, rollups and counters updated in the same transaction,
/// and an event for what was actually new.
enum ListenStore {
    struct Outcome: Sendable {
        var inserted: Int
        var duplicates: Int
        /// Per submitted listen, whether it was new.
        var stored: [Bool]
    }

    /// Batches above this size announce one summary event instead of one per listen.
    static let announceEachUpTo = 50

    /// Stores `listens` (all with `listenedAt`) for `owner`. Call inside a write transaction.
    @discardableResult
    static func ingest(_ listens: [IncomingListen], owner: ListenOwner, source: String, on db: any SQLDatabase) async throws -> Outcome {
        guard !listens.isEmpty else { return Outcome(inserted: 0, duplicates: 0, stored: []) }
        try await lockOwner(owner.userID, .store, on: db)
        let recordings = try await ListenDictionary.resolve(listens, on: db)
        let nowMillis = Clock.nowMillis(), now = nowMillis / 1000
        var rows: [[any SQLExpression]] = []
        var firstIndex: [String: Int] = [:]
        for (index, listen) in listens.enumerated() {
            guard let ts = listen.listenedAt else { continue }
            let key = "\(ts)\u{1}\(listen.trackName)"
            guard firstIndex[key] == nil else { continue }
            firstIndex[key] = index
            rows.append([
                SQLBind(owner.userID), SQLBind(ts), SQLBind(listen.trackName), SQLBind(recordings[index].id),
                SQLBind(now), SQLBind(extraJSON(listen.additionalInfo)),
            ])
        }
        let returned = try await db.insertRows(
            into: "listens (user_id, listened_at, track_name, recording_id, inserted_at, extra)", rows: rows,
            suffix: "ON CONFLICT (user_id, listened_at, track_name) DO NOTHING RETURNING listened_at, track_name")
        var inserted: [Int] = []
        for row in returned {
            let key = "\(try row.decode(column: "listened_at", as: Int64.self))\u{1}\(try row.decode(column: "track_name", as: String.self))"
            if let index = firstIndex[key] { inserted.append(index) }
        }
        inserted.sort()
        guard !inserted.isEmpty else { return Outcome(inserted: 0, duplicates: listens.count, stored: listens.map { _ in false }) }

        let stamps = inserted.compactMap { listens[$0].listenedAt }
        let entries = inserted.map { StatsRollup.Entry(listenedAt: listens[$0].listenedAt ?? 0, recording: recordings[$0]) }
        if entries.count <= StatsRollup.inlineUpTo {
            try await StatsRollup.apply(entries, userID: owner.userID, calendar: owner.calendar, sign: 1, now: now, on: db)
        } else {
            try await StatsRollup.postpone(entries, userID: owner.userID, on: db)
        }
        try await db.raw(
            """
            INSERT INTO listen_counts (user_id, count, min_ts, max_ts)
            VALUES (\(bind: owner.userID), \(bind: inserted.count), \(bind: stamps.min()), \(bind: stamps.max()))
            ON CONFLICT (user_id) DO UPDATE SET count = listen_counts.count + excluded.count,
              min_ts = CASE WHEN listen_counts.min_ts IS NULL OR excluded.min_ts < listen_counts.min_ts THEN excluded.min_ts ELSE listen_counts.min_ts END,
              max_ts = CASE WHEN listen_counts.max_ts IS NULL OR excluded.max_ts > listen_counts.max_ts THEN excluded.max_ts ELSE listen_counts.max_ts END
            """
        ).run()
        let own = try await ownMatches(
            inserted.filter { listens[$0].trackID == nil && recordings[$0].trackID == nil }, of: listens, owner: owner, on: db)
        try await countPlays(
            inserted.compactMap { index in
                (listens[index].trackID ?? recordings[index].trackID ?? own[index]).map { ($0, (listens[index].listenedAt ?? now) * 1000) }
            }, userID: owner.userID, on: db)

        if inserted.count <= announceEachUpTo {
            // No local track id here: followers may not see the library it is in.
            try await EventStore.append(
                ListensEvents.listen,
                each: inserted.map { index in
                    EventStore.Item(
                        payload: ListenJSON(listen: listens[index], msid: recordings[index].msid, owner: owner, insertedAt: now, trackID: nil),
                        actorID: owner.userID, subjectID: recordings[index].msid, audienceUserID: owner.userID,
                        visibility: owner.liveVisibility)
                }, on: db)
        } else {
            try await EventStore.append(
                ListensEvents.imported,
                payload: .init(userName: owner.username, count: inserted.count, source: source),
                actorID: owner.userID, audienceUserID: owner.userID, on: db)
        }
        var stored = listens.map { _ in false }
        for index in inserted { stored[index] = true }
        return Outcome(inserted: inserted.count, duplicates: listens.count - inserted.count, stored: stored)
    }

    /// Listens the shared dictionary could not match, matched in the listener's own private
    /// libraries: for their play counts only (the dictionary must not name those tracks).
    private static func ownMatches(
        _ indices: [Int], of listens: [IncomingListen], owner: ListenOwner, on db: any SQLDatabase
    ) async throws -> [Int: Int64] {
        guard !indices.isEmpty else { return [:] }
        let libraries = try await Libraries.privateIDs(ownedBy: owner.userID, on: db)
        guard !libraries.isEmpty else { return [:] }
        let matches = try await TrackMatcher.match(
            indices.map { (listens[$0], ListenDictionary.keys(listens[$0])) }, in: .libraries(libraries), on: db)
        var result: [Int: Int64] = [:]
        for (index, match) in zip(indices, matches) { result[index] = match }
        return result
    }

    /// Local play counts follow matched listens, so Subsonic's "most played" sees every client.
    private static func countPlays(_ plays: [(trackID: Int64, at: Int64)], userID: Int64, on db: any SQLDatabase) async throws {
        guard !plays.isEmpty else { return }
        var byTrack: [Int64: (count: Int, last: Int64)] = [:]
        for play in plays {
            let current = byTrack[play.trackID] ?? (0, 0)
            byTrack[play.trackID] = (current.count + 1, max(current.last, play.at))
        }
        try await db.insertRows(
            into: "play_stats (user_id, track_id, play_count, last_played_at)",
            rows: byTrack.sorted { $0.key < $1.key }.map { [SQLBind(userID), SQLBind($0.key), SQLBind($0.value.count), SQLBind($0.value.last)] },
            suffix: """
                ON CONFLICT (user_id, track_id) DO UPDATE SET play_count = play_stats.play_count + excluded.play_count,
                  last_played_at = CASE WHEN excluded.last_played_at > play_stats.last_played_at THEN excluded.last_played_at ELSE play_stats.last_played_at END
                """)
        try await Annotations.touch(userID: userID, on: db)
    }

    /// Deletes one of the owner's listens, with its rollups; `false` when there is no such listen.
    static func delete(owner: ListenOwner, listenedAt: Int64, msid: String, on db: any SQLDatabase) async throws -> Bool {
        try await lockOwner(owner.userID, .rewrite, on: db)
        let rows = try await db.raw(
            """
            SELECT l.track_name, r.id, r.msid, r.artist_id, r.release_id, r.track_id, COALESCE(rel.group_id, rel.id) AS group_id FROM listens l
            JOIN listen_recordings r ON r.id = l.recording_id LEFT JOIN listen_releases rel ON rel.id = r.release_id
            WHERE l.user_id = \(bind: owner.userID) AND l.listened_at = \(bind: listenedAt) AND r.msid = \(bind: msid)
            """
        ).all()
        guard !rows.isEmpty else { return false }
        var entries: [StatsRollup.Entry] = []
        for row in rows {
            // Only what this statement removed counts down the rollups (a concurrent delete may have won).
            guard
                !(try await db.raw(
                    """
                    DELETE FROM listens WHERE user_id = \(bind: owner.userID) AND listened_at = \(bind: listenedAt)
                      AND track_name = \(bind: try row.decode(column: "track_name", as: String.self)) RETURNING user_id
                    """
                ).all().isEmpty)
            else { continue }
            entries.append(
                StatsRollup.Entry(
                    listenedAt: listenedAt,
                    recording: RecordingRef(
                        id: try row.decode(column: "id", as: Int64.self), msid: msid, artistID: try row.decode(column: "artist_id", as: Int64.self),
                        releaseID: try row.decode(column: "release_id", as: Int64?.self),
                        groupID: try row.decode(column: "group_id", as: Int64?.self),
                        trackID: try row.decode(column: "track_id", as: Int64?.self))))
        }
        guard !entries.isEmpty else { return false }
        // Counting down drops rows that reach 0: what waits to be counted up comes first.
        try await StatsRollup.addAllBacklog(owner: owner, now: Clock.nowMillis() / 1000, on: db)
        try await StatsRollup.apply(entries, userID: owner.userID, calendar: owner.calendar, sign: -1, now: Clock.nowMillis() / 1000, on: db)
        try await db.raw(
            """
            UPDATE listen_counts SET count = count - \(bind: entries.count),
              min_ts = (SELECT MIN(listened_at) FROM listens WHERE user_id = \(bind: owner.userID)),
              max_ts = (SELECT MAX(listened_at) FROM listens WHERE user_id = \(bind: owner.userID))
            WHERE user_id = \(bind: owner.userID)
            """
        ).run()
        for entry in entries {
            guard let track = entry.recording.trackID else { continue }
            try await db.raw(
                """
                UPDATE play_stats SET play_count = play_count - 1 WHERE user_id = \(bind: owner.userID) AND track_id = \(bind: track) AND play_count > 0
                """
            ).run()
        }
        if entries.contains(where: { $0.recording.trackID != nil }) { try await Annotations.touch(userID: owner.userID, on: db) }
        try await EventStore.append(
            ListensEvents.deleted, payload: .init(listenedAt: listenedAt, recordingMsid: msid),
            actorID: owner.userID, subjectID: msid, audienceUserID: owner.userID, on: db)
        return true
    }

    /// Who may work on one user's listens at once, on PostgreSQL (SQLite has one writer anyway),
    /// as a lock on the user's row.
    enum OwnerLock: String {
        /// Storing listens: one batch at a time (`NO KEY UPDATE`; rows that merely reference the
        /// user take `KEY SHARE` in their foreign-key checks and are not held up).
        case store = "NO KEY UPDATE"
        /// Adding the rollup backlog: sums commute, so beside a batch being stored (`KEY SHARE`).
        case rollUp = "KEY SHARE"
        /// Counting down or rebuilding the rollups: alone (`UPDATE`).
        case rewrite = "UPDATE"
    }

    static func lockOwner(_ userID: Int64, _ lock: OwnerLock, on db: any SQLDatabase) async throws {
        if db.isPostgres {
            try await db.raw("SELECT id FROM users WHERE id = \(bind: userID) FOR \(unsafeRaw: lock.rawValue)").run()
        }
    }

    static func count(userID: Int64, on db: any SQLDatabase) async throws -> Int64 {
        try await db.raw("SELECT count FROM listen_counts WHERE user_id = \(bind: userID)").first()?
            .decode(column: "count", as: Int64.self) ?? 0
    }

    static func extraJSON(_ info: [String: JSONValue]) -> String? {
        guard !info.isEmpty else { return nil }
        return JSONValue.object(info).serialized
    }
}

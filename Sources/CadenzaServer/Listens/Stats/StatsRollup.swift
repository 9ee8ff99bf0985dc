import SQLKit

/// The statistics rollups, kept current in the transaction that stores or deletes listens, so
/// stats answer from a few thousand pre-summed rows instead of the listens themselves:
/// per user and local hour (activity), per entity in all (top lists, all time), per entity and
/// local year and month (ranges of whole years and months) and per entity and local day for recent days (weeks and
/// the current month).
enum StatsRollup {
    enum Kind: Int, CaseIterable, Sendable {
        case artist = 1, release = 2, releaseGroup = 3, recording = 4
    }

    /// Day rollups are only needed for ranges that end in the current or previous month.
    static let recentDays: Int64 = 40

    struct Entry: Sendable {
        var listenedAt: Int64
        var recording: RecordingRef
    }

    private struct EntityKey: Hashable, Comparable {
        var kind: Int
        var period: Int64
        var entity: Int64
        static func < (a: EntityKey, b: EntityKey) -> Bool { (a.kind, a.period, a.entity) < (b.kind, b.period, b.entity) }
    }

    /// Adds (`sign` 1) or removes (`sign` -1) listens from every rollup of one user.
    static func apply(
        _ entries: [Entry], userID: Int64, calendar: LocalCalendar, sign: Int64, now: Int64,
        on db: any SQLDatabase
    ) async throws {
        guard !entries.isEmpty else { return }
        let oldestDay = calendar.day(now) - recentDays
        var hours: [Int64: Int64] = [:], totals: [EntityKey: Int64] = [:]
        var years: [EntityKey: Int64] = [:], months: [EntityKey: Int64] = [:], days: [EntityKey: Int64] = [:]
        var offsets: [Int64: Int64] = [:]  // by UTC hour: zone lookups are not free
        for entry in entries {
            let utcHour = LocalCalendar.floorDiv(entry.listenedAt, 3600)
            let offset: Int64
            if let known = offsets[utcHour] {
                offset = known
            } else {
                offset = calendar.offset(entry.listenedAt)
                offsets[utcHour] = offset
            }
            let local = entry.listenedAt + offset
            let day = LocalCalendar.floorDiv(local, 86_400)
            let month = LocalCalendar.monthNumber(ofDay: day)
            let year = LocalCalendar.floorDiv(month, 12)
            hours[LocalCalendar.floorDiv(local, 3600), default: 0] += sign
            let recording = entry.recording
            var entities: [(Kind, Int64)] = [(.artist, recording.artistID), (.recording, recording.id)]
            if let release = recording.releaseID {
                entities.append((.release, release))
                entities.append((.releaseGroup, recording.groupID ?? release))
            }
            for (kind, id) in entities {
                totals[EntityKey(kind: kind.rawValue, period: 0, entity: id), default: 0] += sign
                years[EntityKey(kind: kind.rawValue, period: year, entity: id), default: 0] += sign
                months[EntityKey(kind: kind.rawValue, period: month, entity: id), default: 0] += sign
                if day >= oldestDay { days[EntityKey(kind: kind.rawValue, period: day, entity: id), default: 0] += sign }
            }
        }
        try await upsert(
            "listen_hours", columns: ["hour"], rows: hours.sorted { $0.key < $1.key }.map { ([$0.key], $0.value) },
            userID: userID, on: db)
        try await upsert(
            "listen_entity_totals", columns: ["kind", "entity_id"],
            rows: totals.sorted { $0.key < $1.key }.map { ([Int64($0.key.kind), $0.key.entity], $0.value) }, userID: userID, on: db)
        try await upsert(
            "listen_entity_years", columns: ["kind", "year", "entity_id"],
            rows: years.sorted { $0.key < $1.key }.map { ([Int64($0.key.kind), $0.key.period, $0.key.entity], $0.value) },
            userID: userID, on: db)
        try await upsert(
            "listen_entity_months", columns: ["kind", "month", "entity_id"],
            rows: months.sorted { $0.key < $1.key }.map { ([Int64($0.key.kind), $0.key.period, $0.key.entity], $0.value) },
            userID: userID, on: db)
        try await upsert(
            "listen_entity_days", columns: ["kind", "day", "entity_id"],
            rows: days.sorted { $0.key < $1.key }.map { ([Int64($0.key.kind), $0.key.period, $0.key.entity], $0.value) },
            userID: userID, on: db)
        if sign < 0 {
            for table in ["listen_hours", "listen_entity_totals", "listen_entity_years", "listen_entity_months", "listen_entity_days"] {
                try await db.raw("DELETE FROM \(unsafeRaw: table) WHERE user_id = \(bind: userID) AND count <= 0").run()
            }
        }
    }

    private static func upsert(
        _ table: String, columns: [String], rows: [([Int64], Int64)], userID: Int64,
        on db: any SQLDatabase
    ) async throws {
        let key = (["user_id"] + columns).joined(separator: ", ")
        try await db.insertIntegerRows(
            into: "\(table) (\(key), count)", rows: rows.map { values, delta in [userID] + values + [delta] },
            suffix: "ON CONFLICT (\(key)) DO UPDATE SET count = \(table).count + excluded.count")
    }

    /// Recomputes every rollup of one user from the listens (after a time-zone change).
    static func rebuild(userID: Int64, calendar: LocalCalendar, now: Int64, on db: any SQLDatabase) async throws {
        // The listens are read below whether or not their rollups were added yet.
        for table in [
            "listen_hours", "listen_entity_totals", "listen_entity_years", "listen_entity_months", "listen_entity_days", "listen_rollup_backlog",
        ] {
            try await db.raw("DELETE FROM \(unsafeRaw: table) WHERE user_id = \(bind: userID)").run()
        }
        var after: (Int64, String) = (Int64.min, "")
        while true {
            let rows = try await db.raw(
                """
                SELECT l.listened_at, l.track_name, r.id, r.msid, r.artist_id, r.release_id, COALESCE(rel.group_id, rel.id) AS group_id FROM listens l
                JOIN listen_recordings r ON r.id = l.recording_id LEFT JOIN listen_releases rel ON rel.id = r.release_id
                WHERE l.user_id = \(bind: userID)
                  AND (l.listened_at > \(bind: after.0) OR (l.listened_at = \(bind: after.0) AND l.track_name > \(bind: after.1)))
                ORDER BY l.listened_at, l.track_name LIMIT 20000
                """
            ).all()
            let entries = try rows.map { row in
                Entry(listenedAt: try row.decode(column: "listened_at", as: Int64.self), recording: try RecordingRef(row: row))
            }
            try await apply(entries, userID: userID, calendar: calendar, sign: 1, now: now, on: db)
            guard rows.count == 20000, let last = rows.last else { return }
            after = (try last.decode(column: "listened_at", as: Int64.self), try last.decode(column: "track_name", as: String.self))
        }
    }

    /// Drops day rollups older than any range needs.
    static func pruneDays(now: Int64, on db: any SQLDatabase) async throws {
        // The widest zone offset is under 15 h; one extra day covers every user's calendar.
        let cutoff = LocalCalendar.floorDiv(now, 86_400) - recentDays - 1
        try await db.raw("DELETE FROM listen_entity_days WHERE day < \(bind: cutoff)").run()
    }
}

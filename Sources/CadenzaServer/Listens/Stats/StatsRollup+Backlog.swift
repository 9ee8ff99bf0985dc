import SQLKit

/// Rollups of large batches, added by a job instead of in the request. An import's listens
/// spread over years: per 1,000 they touched some 8,000 rollup rows, most of the request's time
/// on PostgreSQL. Stored in the batch's transaction, the backlog is as durable as the listens;
/// a job adds it up many batches at a time, where the rows of one artist or month collapse.
///
/// Rollups are sums, so what waits in the backlog can be added in any order and beside a batch
/// being stored, but not beside a deletion (which drops rows that reach 0) or a rebuild: those
/// lock the owner against the job, and a deletion adds the owner's backlog first.
extension StatsRollup {
    static let backlogJob = "listens.rollup-backlog"

    /// Batches of at most this many new listens are rolled up in their own transaction.
    static let inlineUpTo = 50

    /// Backlog rows (batches) added per transaction.
    static let backlogRowsPerStep = 20

    /// Records `entries` for later and queues the job that adds them. Call inside the batch's
    /// transaction, holding the owner's lock.
    static func postpone(_ entries: [Entry], userID: Int64, on db: any SQLDatabase) async throws {
        guard !entries.isEmpty else { return }
        var text = ""
        text.reserveCapacity(entries.count * 20)
        for entry in entries {
            if !text.isEmpty { text += "," }
            text += "\(entry.listenedAt):\(entry.recording.id)"
        }
        try await db.raw(
            """
            INSERT INTO listen_rollup_backlog (user_id, entries, created_at) VALUES (\(bind: userID), \(bind: text), \(bind: Clock.nowMillis()))
            """
        ).run()
        // One job per batch, no unique key: a job already running may have read the backlog
        // before this commit. The later ones find little or nothing left, and cost one query.
        try await JobQueue.enqueue(try .init(kind: backlogJob, payload: ListenJobs.UserPayload(userId: userID), priority: -1), on: db)
    }

    /// Adds up to `backlogRowsPerStep` of the owner's backlog rows to the rollups and deletes
    /// them; returns how many rows it took. Call inside a transaction holding the owner's lock
    /// (`rollUp` or `rewrite`). Rows another job is adding are skipped, not waited for.
    @discardableResult
    static func addBacklog(owner: ListenOwner, now: Int64, on db: any SQLDatabase) async throws -> Int {
        let rows = try await db.raw(
            """
            SELECT id, entries FROM listen_rollup_backlog WHERE user_id = \(bind: owner.userID) ORDER BY id LIMIT \(bind: backlogRowsPerStep)
            \(unsafeRaw: db.isPostgres ? "FOR UPDATE SKIP LOCKED" : "")
            """
        ).all()
        guard !rows.isEmpty else { return 0 }
        var ids: [Int64] = []
        var pairs: [(listenedAt: Int64, recording: Int64)] = []
        for row in rows {
            ids.append(try row.decode(column: "id", as: Int64.self))
            for item in try row.decode(column: "entries", as: String.self).split(separator: ",") {
                let parts = item.split(separator: ":")
                // Written by `postpone` above; anything else would be a bug, not input, and is skipped.
                guard parts.count == 2, let at = Int64(parts[0]), let recording = Int64(parts[1]) else { continue }
                pairs.append((at, recording))
            }
        }
        let refs = try await recordings(Set(pairs.map(\.recording)), on: db)
        let entries = pairs.compactMap { pair in refs[pair.recording].map { Entry(listenedAt: pair.listenedAt, recording: $0) } }
        try await apply(entries, userID: owner.userID, calendar: owner.calendar, sign: 1, now: now, on: db)
        try await db.raw("DELETE FROM listen_rollup_backlog WHERE id IN (\(SQLList(integers: ids)))").run()
        return rows.count
    }

    /// Adds all of the owner's backlog (before a deletion counts down, holding the `rewrite`
    /// lock: no job is adding any of it meanwhile).
    static func addAllBacklog(owner: ListenOwner, now: Int64, on db: any SQLDatabase) async throws {
        while try await addBacklog(owner: owner, now: now, on: db) == backlogRowsPerStep {}
    }

    private static func recordings(_ ids: Set<Int64>, on db: any SQLDatabase) async throws -> [Int64: RecordingRef] {
        var result: [Int64: RecordingRef] = [:]
        for chunk in Array(ids).chunked(500) {
            let rows = try await db.raw(
                """
                SELECT r.id, r.msid, r.artist_id, r.release_id, COALESCE(rel.group_id, rel.id) AS group_id
                FROM listen_recordings r LEFT JOIN listen_releases rel ON rel.id = r.release_id
                WHERE r.id IN (\(SQLList(integers: chunk)))
                """
            ).all()
            for row in rows {
                let ref = try RecordingRef(row: row)
                result[ref.id] = ref
            }
        }
        return result
    }
}

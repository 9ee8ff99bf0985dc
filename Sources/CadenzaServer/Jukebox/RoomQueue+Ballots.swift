import Foundation
import SQLKit

extension RoomQueue {
    /// One person's vote on one entry: -1, 0 (taken back) or 1.
    struct Ballot: Sendable {
        var entryID: Int64
        var guestID: Int64
        var value: Int
    }

    /// Several people's votes in one room, written together (the room is locked by the caller):
    /// a handful of statements however many there are. Each vote is the person's value on the
    /// entry (a repeated or changed vote replaces theirs; within the batch the latest counts);
    /// each entry's score is the sum of its votes. Returns each ballot's outcome in order (the
    /// entry after the batch, or why it was refused) and the entries whose score was written.
    static func cast(
        _ ballots: [Ballot], room: RoomRecord, now: Int64, on db: any SQLDatabase
    ) async throws -> (outcomes: [Result<RoomEntry, Refusal>], changed: [RoomEntry]) {
        guard !ballots.isEmpty else { return ([], []) }
        let guestIDs = Array(Set(ballots.map(\.guestID))), entryIDs = Array(Set(ballots.map(\.entryID)))
        let allowed = Set(
            try await db.raw(
                """
                SELECT id FROM jukebox_guests
                WHERE room_id = \(bind: room.id) AND banned = \(bind: false) AND id IN (\(SQLList(guestIDs.map { SQLBind($0) })))
                """
            ).all().map { try $0.decode(column: "id", as: Int64.self) })
        var entries = Dictionary(
            uniqueKeysWithValues: try await db.raw(
                """
                SELECT * FROM jukebox_entries
                WHERE room_id = \(bind: room.id) AND state IN ('queued', 'playing') AND id IN (\(SQLList(entryIDs.map { SQLBind($0) })))
                """
            ).all().map(RoomEntry.init(row:)).map { ($0.id, $0) })
        // The latest value of each person on each entry: what the batch writes.
        struct Key: Hashable {
            var entryID: Int64
            var guestID: Int64
        }
        var final: [Key: Int] = [:]
        var order: [Key] = []
        for ballot in ballots where allowed.contains(ballot.guestID) && entries[ballot.entryID] != nil && (-1...1).contains(ballot.value) {
            let key = Key(entryID: ballot.entryID, guestID: ballot.guestID)
            if final.updateValue(ballot.value, forKey: key) == nil { order.append(key) }
        }
        let upserts = order.filter { final[$0] != 0 }, removals = order.filter { final[$0] == 0 }
        if !upserts.isEmpty {
            let rows = SQLList(upserts.map { SQLQueryString("(\(bind: $0.entryID), \(bind: $0.guestID), \(bind: final[$0] ?? 0))") })
            try await db.raw(
                """
                INSERT INTO jukebox_votes (entry_id, guest_id, value) VALUES \(rows)
                ON CONFLICT (entry_id, guest_id) DO UPDATE SET value = excluded.value
                """
            ).run()
        }
        if !removals.isEmpty {
            let pairs = SQLList(
                removals.map { SQLQueryString("(entry_id = \(bind: $0.entryID) AND guest_id = \(bind: $0.guestID))") }, separator: SQLRaw(" OR "))
            try await db.raw("DELETE FROM jukebox_votes WHERE \(pairs)").run()
        }
        let touched = Array(Set(order.map(\.entryID)))
        var changed: [RoomEntry] = []
        if !touched.isEmpty {
            // Cast: PostgreSQL sums a BIGINT column as NUMERIC.
            let rows = try await db.raw(
                """
                UPDATE jukebox_entries
                SET score = (SELECT CAST(COALESCE(SUM(v.value), 0) AS BIGINT) FROM jukebox_votes v WHERE v.entry_id = jukebox_entries.id)
                WHERE id IN (\(SQLList(touched.map { SQLBind($0) }))) RETURNING id, score
                """
            ).all()
            for row in rows {
                let id = try row.decode(column: "id", as: Int64.self)
                guard var entry = entries[id] else { continue }
                entry.score = try row.decode(column: "score", as: Int.self)
                // A queued song voted down to the threshold leaves; the current one is skipped.
                if entry.state == "queued" && entry.score <= -room.downvotesToRemove {
                    entry.state = "removed"
                } else if entry.state == "playing" && entry.score <= -room.downvotesToSkip {
                    entry.state = "skipped"
                    if room.currentEntryID == id { try await Rooms.setClock(room.id, entry: nil, startedAt: nil, pausedAt: nil, on: db) }
                }
                if entry.state != "queued" && entry.state != "playing" {
                    try await db.raw("UPDATE jukebox_entries SET state = \(bind: entry.state), ended_at = \(bind: now) WHERE id = \(bind: id)").run()
                }
                entries[id] = entry
                changed.append(entry)
            }
        }
        let outcomes = ballots.map { ballot -> Result<RoomEntry, Refusal> in
            guard (-1...1).contains(ballot.value) else { return .failure(Refusal(status: 422, message: "A vote is -1, 0 or 1.")) }
            guard allowed.contains(ballot.guestID) else { return .failure(Refusal(status: 403, message: "The host has removed you from this room.")) }
            guard let entry = entries[ballot.entryID] else { return .failure(Refusal(status: 404, message: "That song is not in the queue.")) }
            return .success(entry)
        }
        return (outcomes, changed)
    }
}

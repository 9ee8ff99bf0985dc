import Foundation
import SQLKit

extension RoomQueue {
    /// One person's vote on one entry: -1, 0 (taken back) or 1.
    struct Ballot: Sendable {
        var entryID: Int64
        var guestID: Int64
        var value: Int
        /// The host votes whatever the room lets its guests do.
        var isHost = false
    }

    /// What a ballot came to: the entry after the batch, and the person's vote as it stands
    /// (a later vote of theirs in the same batch wins).
    struct Cast: Sendable {
        var entry: RoomEntry
        var value: Int
    }

    /// Why the room refuses `ballot` by its rules, if it does (taking a vote back is always allowed).
    static func refusal(_ ballot: Ballot, room: RoomRecord) -> Refusal? {
        guard (-1...1).contains(ballot.value) else { return Refusal(status: 422, message: "A vote is -1, 0 or 1.") }
        guard !ballot.isHost, ballot.value != 0 else { return nil }
        switch room.interactivity {
        case .noControl: return Refusal(status: 403, message: "Voting is off in this room: suggest songs, the host plays them.")
        case .upvotesOnly where ballot.value < 0: return Refusal(status: 403, message: "This room takes upvotes only.")
        default: return nil
        }
    }

    /// Several people's votes in one room, written together (the room is locked by the caller):
    /// a handful of statements however many there are. Each vote is the person's value on the
    /// entry (a repeated or changed vote replaces theirs; within the batch the latest counts);
    /// each entry's score is the sum of its votes. Returns each ballot's outcome in order and the
    /// entries whose score was written.
    static func cast(
        _ ballots: [Ballot], room: RoomRecord, now: Int64, on db: any SQLDatabase
    ) async throws -> (outcomes: [Result<Cast, Refusal>], changed: [RoomEntry]) {
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
        let refusals = ballots.map { ballot -> Refusal? in
            if let refused = refusal(ballot, room: room) { return refused }
            guard allowed.contains(ballot.guestID) else { return Refusal(status: 403, message: "The host has removed you from this room.") }
            guard entries[ballot.entryID] != nil else { return Refusal(status: 404, message: "That song is not in the queue.") }
            return nil
        }
        // The latest value of each person on each entry: what the batch writes.
        struct Key: Hashable {
            var entryID: Int64
            var guestID: Int64
        }
        var final: [Key: Int] = [:]
        var order: [Key] = []
        for (ballot, refused) in zip(ballots, refusals) where refused == nil {
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
                // A queued song voted down to the threshold leaves; the current one is skipped
                // (and counts as played as far as it went, as a skip from the host's controls).
                let ending =
                    entry.state == "queued" && entry.score <= -room.downvotesToRemove
                    ? "removed" : entry.state == "playing" && entry.score <= -room.downvotesToSkip ? "skipped" : nil
                if let ending {
                    try await end(id, as: ending, room: room, now: now, on: db)
                    entry.state = ending
                }
                entries[id] = entry
                changed.append(entry)
            }
        }
        let outcomes = zip(ballots, refusals).map { ballot, refused -> Result<Cast, Refusal> in
            if let refused { return .failure(refused) }
            guard let entry = entries[ballot.entryID] else { return .failure(Refusal(status: 404, message: "That song is not in the queue.")) }
            return .success(Cast(entry: entry, value: final[Key(entryID: ballot.entryID, guestID: ballot.guestID)] ?? ballot.value))
        }
        return (outcomes, changed)
    }
}

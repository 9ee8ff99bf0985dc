import Foundation
import SQLKit

/// One song in a room (`jukebox_entries`): queued, then playing, then played, skipped,
/// removed or failed. Kept after it is over: the room's history.
struct RoomEntry: Sendable, Equatable {
    var id: Int64
    var trackID: Int64
    var guestID: Int64?
    var score: Int
    var state: String
    var createdAt: Int64
    var startedAt: Int64?
    /// When the host moved it to the top (the newest pin plays first, before the score order).
    var pinnedAt: Int64?

    init(row: any SQLRow) throws {
        id = try row.decode(column: "id", as: Int64.self)
        trackID = try row.decode(column: "track_id", as: Int64.self)
        guestID = try row.decode(column: "guest_id", as: Int64?.self)
        score = try row.decode(column: "score", as: Int.self)
        state = try row.decode(column: "state", as: String.self)
        createdAt = try row.decode(column: "created_at", as: Int64.self)
        startedAt = try row.decode(column: "started_at", as: Int64?.self)
        pinnedAt = try row.decode(column: "pinned_at", as: Int64?.self)
    }
}

/// The queue's rules, after Raveberry's: a suggestion starts with its suggester's upvote; one
/// vote per person per entry in [-1, 1] (a changed vote moves, never adds); the queue plays by
/// score, ties by suggestion time; a queued song voted down to the threshold leaves, the
/// current one is skipped. Every change runs in a transaction with the room's row locked.
enum RoomQueue {
    static let suggestionIntervalMs: Int64 = 3_000

    struct Refusal: Error {
        var status: Int
        var message: String
        /// About this song alone (queued already, on cooldown, banned): the rest of an album still goes in.
        var thisSongOnly = false
    }

    /// The queue in play order: what the host moved to the top (the newest first), then by score.
    static func queued(roomID: Int64, on db: any SQLDatabase) async throws -> [RoomEntry] {
        try await db.raw(
            """
            SELECT * FROM jukebox_entries WHERE room_id = \(bind: roomID) AND state = 'queued'
            ORDER BY CASE WHEN pinned_at IS NULL THEN 1 ELSE 0 END, pinned_at DESC, score DESC, created_at, id
            """
        ).all().map(RoomEntry.init(row:))
    }

    /// The host's "play next": `entryID` goes to the top of the queue. False when it is not queued.
    @discardableResult
    static func pin(_ entryID: Int64, room: RoomRecord, now: Int64, on db: any SQLDatabase) async throws -> Bool {
        // One past the newest pin: two moves in the same millisecond keep their order.
        let newest =
            try await db.raw("SELECT MAX(pinned_at) AS p FROM jukebox_entries WHERE room_id = \(bind: room.id) AND state = 'queued'").first()?
            .decode(column: "p", as: Int64?.self) ?? nil
        let at = max(now, (newest ?? Int64.min) + 1)
        return try await db.raw(
            """
            UPDATE jukebox_entries SET pinned_at = \(bind: at)
            WHERE id = \(bind: entryID) AND room_id = \(bind: room.id) AND state = 'queued' RETURNING id
            """
        ).first() != nil
    }

    /// Bans `trackID` from the room (its queued entry leaves; it cannot be suggested or autoplayed
    /// again), or lifts the ban.
    static func setTrackBanned(_ trackID: Int64, _ banned: Bool, room: RoomRecord, now: Int64, on db: any SQLDatabase) async throws {
        guard banned else {
            try await db.raw("DELETE FROM jukebox_track_bans WHERE room_id = \(bind: room.id) AND track_id = \(bind: trackID)").run()
            return
        }
        try await db.raw(
            """
            INSERT INTO jukebox_track_bans (room_id, track_id, created_at) VALUES (\(bind: room.id), \(bind: trackID), \(bind: now))
            ON CONFLICT DO NOTHING
            """
        ).run()
        for row in try await db.raw(
            "SELECT id FROM jukebox_entries WHERE room_id = \(bind: room.id) AND track_id = \(bind: trackID) AND state = 'queued'"
        ).all() {
            try await end(try row.decode(column: "id", as: Int64.self), as: "removed", room: room, now: now, on: db)
        }
    }

    /// Takes every queued song out (what plays carries on).
    static func clear(room: RoomRecord, now: Int64, on db: any SQLDatabase) async throws {
        for entry in try await queued(roomID: room.id, on: db) {
            try await end(entry.id, as: "removed", room: room, now: now, on: db)
        }
    }

    static func bannedTracks(roomID: Int64, on db: any SQLDatabase) async throws -> [Int64] {
        try await db.raw("SELECT track_id FROM jukebox_track_bans WHERE room_id = \(bind: roomID) ORDER BY created_at DESC, track_id").all()
            .map { try $0.decode(column: "track_id", as: Int64.self) }
    }

    static func entry(_ id: Int64, roomID: Int64, on db: any SQLDatabase, lock: Bool = false) async throws -> RoomEntry? {
        let suffix: SQLQueryString = lock && db.isPostgres ? " FOR UPDATE" : ""
        return try await db.raw("SELECT * FROM jukebox_entries WHERE id = \(bind: id) AND room_id = \(bind: roomID)\(suffix)").first()
            .map(RoomEntry.init(row:))
    }

    /// The newest entries that are over, newest first.
    static func history(roomID: Int64, limit: Int, on db: any SQLDatabase) async throws -> [RoomEntry] {
        try await db.raw(
            """
            SELECT * FROM jukebox_entries WHERE room_id = \(bind: roomID) AND state IN ('played', 'skipped', 'failed')
            ORDER BY ended_at DESC, id DESC LIMIT \(bind: limit)
            """
        ).all().map(RoomEntry.init(row:))
    }

    static func votes(guestID: Int64, entries: [Int64], on db: any SQLDatabase) async throws -> [Int64: Int] {
        guard !entries.isEmpty else { return [:] }
        var votes: [Int64: Int] = [:]
        for row in try await db.raw(
            "SELECT entry_id, value FROM jukebox_votes WHERE guest_id = \(bind: guestID) AND entry_id IN (\(SQLList(entries.map { SQLBind($0) })))"
        ).all() {
            votes[try row.decode(column: "entry_id", as: Int64.self)] = try row.decode(column: "value", as: Int.self)
        }
        return votes
    }

    /// Adds `trackID` for `guest`, or says why not.
    static func suggest(
        _ trackID: Int64, room: RoomRecord, guest: RoomGuest, isHost: Bool, now: Int64, on db: any SQLDatabase
    ) async throws
        -> RoomEntry
    {
        if room.closed { throw Refusal(status: 409, message: "The room is closed.") }
        if room.locked && !isHost { throw Refusal(status: 409, message: "The host has closed suggestions for now.") }
        if guest.banned { throw Refusal(status: 403, message: "The host has removed you from this room.") }
        if !isHost, let last = guest.lastSuggestedAt, now - last < suggestionIntervalMs {
            throw Refusal(status: 429, message: "One suggestion every few seconds, please.")
        }
        let count = { (condition: SQLQueryString) async throws -> Int in
            try await db.raw("SELECT COUNT(*) AS n FROM jukebox_entries WHERE room_id = \(bind: room.id) AND \(condition)").first()?
                .decode(column: "n", as: Int.self) ?? 0
        }
        if try await db.raw("SELECT 1 AS x FROM jukebox_track_bans WHERE room_id = \(bind: room.id) AND track_id = \(bind: trackID)").first() != nil {
            throw Refusal(status: 409, message: "The host has taken that song out of this room.", thisSongOnly: true)
        }
        if !room.forbiddenWords.isEmpty, let names = try await CatalogQueries.trackNames(id: trackID, on: db),
            let word = room.forbiddenWord(in: names)
        {
            throw Refusal(status: 409, message: "The host does not want songs with “\(word)” in this room.", thisSongOnly: true)
        }
        if room.newMusicOnly, try await count("track_id = \(bind: trackID) AND state IN ('played', 'skipped')") > 0 {
            throw Refusal(status: 409, message: "This room plays only songs it has not played before.", thisSongOnly: true)
        }
        if try await count("track_id = \(bind: trackID) AND state IN ('queued', 'playing')") > 0 {
            throw Refusal(status: 409, message: "That song is already in the queue.", thisSongOnly: true)
        }
        // Voted out counts too: a song the room removed does not come straight back.
        let since = now - Int64(room.cooldownMinutes) * 60_000
        if room.cooldownMinutes > 0,
            try await count(
                """
                track_id = \(bind: trackID) AND ((state IN ('played', 'skipped') AND started_at >= \(bind: since))
                OR (state = 'removed' AND ended_at >= \(bind: since)))
                """) > 0
        {
            throw Refusal(status: 409, message: "That song played a short while ago; suggest it again later.", thisSongOnly: true)
        }
        if !isHost, room.maxPerGuest > 0, try await count("guest_id = \(bind: guest.id) AND state = 'queued'") >= room.maxPerGuest {
            throw Refusal(status: 409, message: "You have \(room.maxPerGuest) songs waiting; vote for others until one plays.")
        }
        if room.maxQueue > 0, try await count("state = 'queued'") >= room.maxQueue {
            throw Refusal(status: 409, message: "The queue is full.")
        }
        guard
            let entry = try await db.raw(
                """
                INSERT INTO jukebox_entries (room_id, track_id, guest_id, score, state, created_at)
                VALUES (\(bind: room.id), \(bind: trackID), \(bind: guest.id), 1, 'queued', \(bind: now)) RETURNING *
                """
            ).first().map(RoomEntry.init(row:))
        else { throw Refusal(status: 409, message: "The song was not added.") }
        try await db.raw("INSERT INTO jukebox_votes (entry_id, guest_id, value) VALUES (\(bind: entry.id), \(bind: guest.id), 1)").run()
        try await RoomGuests.suggested(guest.id, at: now, on: db)
        return entry
    }

    /// Ends `entryID` as `state` (played, skipped, removed, failed), and the room's clock with it
    /// when it was the current song.
    @discardableResult
    static func end(_ entryID: Int64, as state: String, room: RoomRecord, now: Int64, on db: any SQLDatabase) async throws -> Bool {
        if room.currentEntryID == entryID, state == "played" || state == "skipped", let started = room.currentStartedAt,
            let entry = try await entry(entryID, roomID: room.id, on: db), entry.state == "playing"
        {
            // The host's listen, and one for each signed-in guest who asked for them.
            for user in [room.ownerID] + (try await RoomGuests.listenSharers(roomID: room.id, ownerID: room.ownerID, now: now, on: db)) {
                let played = JukeboxEvents.Played(
                    slug: room.slug, trackId: entry.trackID, userId: user, listenedAt: started, playedMs: room.elapsedMs(now: now) ?? 0)
                try await EventStore.append(JukeboxEvents.played, payload: played, actorID: user, subjectID: room.slug, audienceUserID: user, on: db)
            }
        }
        let ended =
            try await db.raw(
                """
                UPDATE jukebox_entries SET state = \(bind: state), ended_at = \(bind: now)
                WHERE id = \(bind: entryID) AND room_id = \(bind: room.id) AND state IN ('queued', 'playing') RETURNING id
                """
            ).first() != nil
        if room.currentEntryID == entryID { try await Rooms.setClock(room.id, entry: nil, startedAt: nil, pausedAt: nil, on: db) }
        return ended
    }

    /// What people here play alongside the room's last track (an instant mix without genre
    /// guesses), read before the caller's transaction: a dozen reads need not hold the room's lock.
    static func similarToLast(roomID: Int64, libraries: [Int64], on db: any SQLDatabase) async throws -> [Int64] {
        guard
            let last = try await db.raw(
                """
                SELECT track_id FROM jukebox_entries WHERE room_id = \(bind: roomID) AND state IN ('played', 'skipped')
                ORDER BY ended_at DESC, id DESC LIMIT 1
                """
            ).first()?.decode(column: "track_id", as: Int64.self)
        else { return [] }
        return try await InstantMix.tracks(from: .track(last), visible: libraries, limit: 40, includeSeed: false, byGenreWhenFew: false, on: db)
    }

    /// A track like the last one the room played (`similar`, from `similarToLast`, first,
    /// then its artist, then its genre, then anything), not played within the cooldown (an hour when there is none), queued with no
    /// suggester and a score of 0: the first guest suggestion outranks it.
    static func autoplay(room: RoomRecord, libraries: [Int64], similar: [Int64], now: Int64, on db: any SQLDatabase) async throws -> RoomEntry? {
        guard !libraries.isEmpty else { return nil }
        let since = now - Int64(max(room.cooldownMinutes, 60)) * 60_000
        let last = try await db.raw(
            """
            SELECT t.artist_display, t.genre FROM jukebox_entries e JOIN tracks t ON t.id = e.track_id
            WHERE e.room_id = \(bind: room.id) AND e.state IN ('played', 'skipped') ORDER BY e.ended_at DESC, e.id DESC LIMIT 1
            """
        ).first()
        let artist = try last?.decode(column: "artist_display", as: String.self)
        let genre = try last?.decode(column: "genre", as: String?.self)
        var choices: [SQLQueryString] = []
        if !similar.isEmpty { choices.append("AND t.id IN (\(SQLList(integers: similar)))") }
        if let artist { choices.append("AND t.artist_display = \(bind: artist)") }
        if let genre { choices.append("AND t.genre = \(bind: genre)") }
        choices.append("")
        // The room's own rules hold for its picks too (its words are checked here, as for a
        // suggestion: the databases' LOWER and LIKE fold case differently from Swift).
        var rules: [SQLQueryString] = []
        if room.newMusicOnly {
            rules.append("AND t.id NOT IN (SELECT track_id FROM jukebox_entries WHERE room_id = \(bind: room.id) AND state IN ('played', 'skipped'))")
        }
        let rulesSQL = SQLList(rules, separator: SQLRaw(" "))
        for extra in choices {
            let rows = try await db.raw(
                """
                SELECT t.id, t.title, t.artist_display, a.title AS album_title FROM tracks t JOIN albums a ON a.id = t.album_id
                WHERE t.library_id IN (\(SQLList(libraries.map { SQLBind($0) }))) AND t.duration_ms > 0
                  AND EXISTS (SELECT 1 FROM files f WHERE f.track_id = t.id AND f.status = 'imported')
                  AND t.id NOT IN (SELECT track_id FROM jukebox_entries WHERE room_id = \(bind: room.id)
                      AND (state IN ('queued', 'playing') OR COALESCE(ended_at, created_at) >= \(bind: since)))
                  AND t.id NOT IN (SELECT track_id FROM jukebox_track_bans WHERE room_id = \(bind: room.id))
                  \(rulesSQL)
                  \(extra)
                ORDER BY RANDOM() LIMIT 25
                """
            ).all()
            var picked: Int64?
            for row in rows {
                let names = [
                    try row.decode(column: "title", as: String.self), try row.decode(column: "artist_display", as: String.self),
                    try row.decode(column: "album_title", as: String.self),
                ]
                if room.forbiddenWord(in: names) == nil {
                    picked = try row.decode(column: "id", as: Int64.self)
                    break
                }
            }
            guard let trackID = picked else { continue }
            return try await db.raw(
                """
                INSERT INTO jukebox_entries (room_id, track_id, guest_id, score, state, created_at)
                VALUES (\(bind: room.id), \(bind: trackID), NULL, 0, 'queued', \(bind: now)) RETURNING *
                """
            ).first().map(RoomEntry.init(row:))
        }
        return nil
    }

    /// The player confirmed that `entryID` started: only now does it leave the queue (a player
    /// that fails never eats the queue). What played before it is over.
    static func started(_ entryID: Int64, room: RoomRecord, now: Int64, on db: any SQLDatabase) async throws {
        guard let entry = try await entry(entryID, roomID: room.id, on: db, lock: true) else {
            throw Refusal(status: 404, message: "That song is not in the queue.")
        }
        if entry.state == "playing" && room.currentEntryID == entryID { return }
        guard entry.state == "queued" else { throw Refusal(status: 409, message: "That song is not waiting to play.") }
        if let current = room.currentEntryID { try await end(current, as: "played", room: room, now: now, on: db) }
        try await db.raw("UPDATE jukebox_entries SET state = 'playing', started_at = \(bind: now) WHERE id = \(bind: entryID)").run()
        try await Rooms.setClock(room.id, entry: entryID, startedAt: now, pausedAt: nil, on: db)
        // A signed-in guest hears that their suggestion is playing (notifications' "About me").
        if let guestID = entry.guestID,
            let userID = try await db.raw("SELECT user_id FROM jukebox_guests WHERE id = \(bind: guestID)").first()?
                .decode(column: "user_id", as: Int64?.self)
        {
            try await EventStore.append(
                JukeboxEvents.suggestionPlaying, payload: .init(slug: room.slug, room: room.name, trackId: entry.trackID), actorID: nil,
                subjectID: room.slug, audienceUserID: userID, on: db)
        }
    }
}

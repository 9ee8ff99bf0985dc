import Foundation
import SQLKit

/// How a room plays: a browser page on the party machine, or the playout engine to the room's mount.
enum RoomPlayback: String, Sendable, Codable {
    case speaker, stream
}

/// How much guests may do, after Raveberry: play, pause and skip too (full control), vote
/// up and down (full voting, the default), vote up only, or only suggest (no control).
enum RoomInteractivity: String, Sendable, Codable {
    case fullControl = "full_control"
    case fullVoting = "full_voting"
    case upvotesOnly = "upvotes_only"
    case noControl = "no_control"
}

/// A party room as stored (`jukebox_rooms`, written only by the jukebox feature).
struct RoomRecord: Sendable {
    var id: Int64
    var slug: String
    var name: String
    var ownerID: Int64
    var joinCodeSealed: String
    var requireAccounts: Bool
    /// A queued song whose score falls to minus this leaves the queue; the current one is skipped at minus `downvotesToSkip`.
    var downvotesToRemove: Int
    var downvotesToSkip: Int
    /// Songs one guest may have queued at once (0: no limit).
    var maxPerGuest: Int
    /// No song again within this many minutes of its last play (0: only not twice in the queue).
    var cooldownMinutes: Int
    /// Songs the queue holds at most (0: no limit).
    var maxQueue: Int
    /// Suggestions closed by the host.
    var locked: Bool
    var autoplay: Bool
    var closed: Bool
    /// The speaker's volume, 0...1 (Subsonic `setGain`).
    var gain = 1.0
    var playback = RoomPlayback.speaker
    var interactivity = RoomInteractivity.fullVoting
    /// Lower-case words a song's title, artist or album must not contain.
    var forbiddenWords: [String] = []
    /// Nothing the room has played before (played or skipped), however long ago.
    var newMusicOnly = false
    var currentEntryID: Int64?
    var currentStartedAt: Int64?
    var pausedAt: Int64?

    init(row: any SQLRow) throws {
        id = try row.decode(column: "id", as: Int64.self)
        slug = try row.decode(column: "slug", as: String.self)
        name = try row.decode(column: "name", as: String.self)
        ownerID = try row.decode(column: "owner_id", as: Int64.self)
        joinCodeSealed = try row.decode(column: "join_code_sealed", as: String.self)
        requireAccounts = try row.decode(column: "require_accounts", as: Bool.self)
        downvotesToRemove = try row.decode(column: "downvotes_to_remove", as: Int.self)
        downvotesToSkip = try row.decode(column: "downvotes_to_skip", as: Int.self)
        maxPerGuest = try row.decode(column: "max_per_guest", as: Int.self)
        cooldownMinutes = try row.decode(column: "cooldown_minutes", as: Int.self)
        maxQueue = try row.decode(column: "max_queue", as: Int.self)
        locked = try row.decode(column: "locked", as: Bool.self)
        autoplay = try row.decode(column: "autoplay", as: Bool.self)
        closed = try row.decode(column: "closed", as: Bool.self)
        gain = try row.decode(column: "gain", as: Double.self)
        playback = RoomPlayback(rawValue: try row.decode(column: "playback", as: String.self)) ?? .speaker
        interactivity = RoomInteractivity(rawValue: try row.decode(column: "interactivity", as: String.self)) ?? .fullVoting
        forbiddenWords = try row.decode(column: "forbidden_words", as: String.self).split(separator: "\n").map(String.init)
        newMusicOnly = try row.decode(column: "new_music_only", as: Bool.self)
        currentEntryID = try row.decode(column: "current_entry_id", as: Int64?.self)
        currentStartedAt = try row.decode(column: "current_started_at", as: Int64?.self)
        pausedAt = try row.decode(column: "paused_at", as: Int64?.self)
    }

    /// A room's settings before it exists (to check a creation's settings first).
    static func defaults(slug: String, name: String, ownerID: Int64, codeSealed: String) throws -> RoomRecord {
        RoomRecord(
            id: 0, slug: slug, name: name, ownerID: ownerID, joinCodeSealed: codeSealed, requireAccounts: false, downvotesToRemove: 2,
            downvotesToSkip: 2, maxPerGuest: 10, cooldownMinutes: 60, maxQueue: 0, locked: false, autoplay: true, closed: false)
    }

    init(
        id: Int64, slug: String, name: String, ownerID: Int64, joinCodeSealed: String, requireAccounts: Bool, downvotesToRemove: Int,
        downvotesToSkip: Int, maxPerGuest: Int, cooldownMinutes: Int, maxQueue: Int, locked: Bool, autoplay: Bool, closed: Bool
    ) {
        self.id = id
        self.slug = slug
        self.name = name
        self.ownerID = ownerID
        self.joinCodeSealed = joinCodeSealed
        self.requireAccounts = requireAccounts
        self.downvotesToRemove = downvotesToRemove
        self.downvotesToSkip = downvotesToSkip
        self.maxPerGuest = maxPerGuest
        self.cooldownMinutes = cooldownMinutes
        self.maxQueue = maxQueue
        self.locked = locked
        self.autoplay = autoplay
        self.closed = closed
    }

    /// The first of the room's forbidden words that one of `names` (a song's title, artist,
    /// album) contains, whatever its case.
    func forbiddenWord(in names: [String]) -> String? {
        let lowered = names.map { $0.lowercased() }
        return forbiddenWords.first { word in lowered.contains { $0.contains(word) } }
    }

    /// How far into the current song the room is, by its own clock.
    func elapsedMs(now: Int64) -> Int64? {
        guard let started = currentStartedAt else { return nil }
        return max(0, (pausedAt ?? now) - started)
    }
}

enum Rooms {
    static func find(slug: String, on db: any SQLDatabase) async throws -> RoomRecord? {
        try await db.raw("SELECT * FROM jukebox_rooms WHERE slug = \(bind: slug)").first().map(RoomRecord.init(row:))
    }

    /// The room's row, locked for the rest of the transaction on PostgreSQL (SQLite has one writer).
    static func lock(_ id: Int64, on db: any SQLDatabase) async throws -> RoomRecord? {
        let lock: SQLQueryString = db.isPostgres ? " FOR UPDATE" : ""
        return try await db.raw("SELECT * FROM jukebox_rooms WHERE id = \(bind: id)\(lock)").first().map(RoomRecord.init(row:))
    }

    static func owned(by userID: Int64, on db: any SQLDatabase) async throws -> [RoomRecord] {
        try await db.raw("SELECT * FROM jukebox_rooms WHERE owner_id = \(bind: userID) ORDER BY name, id").all().map(RoomRecord.init(row:))
    }

    static func create(
        slug: String, name: String, ownerID: Int64, codeSealed: String, requireAccounts: Bool, playback: RoomPlayback = .speaker,
        on db: any SQLDatabase
    ) async throws
        -> RoomRecord?
    {
        let now = Clock.nowMillis()
        return try await db.raw(
            """
            INSERT INTO jukebox_rooms (slug, name, owner_id, join_code_sealed, require_accounts, downvotes_to_remove, downvotes_to_skip,
                max_per_guest, cooldown_minutes, max_queue, locked, autoplay, closed, playback, created_at, updated_at)
            VALUES (\(bind: slug), \(bind: name), \(bind: ownerID), \(bind: codeSealed), \(bind: requireAccounts), 2, 2, 10, 60, 0, \(bind: false),
                \(bind: true), \(bind: false), \(bind: playback.rawValue), \(bind: now), \(bind: now))
            ON CONFLICT DO NOTHING RETURNING *
            """
        ).first().map(RoomRecord.init(row:))
    }

    /// The settings; the join code changes only through `setJoinCode`.
    static func saveSettings(_ room: RoomRecord, on db: any SQLDatabase) async throws {
        try await db.raw(
            """
            UPDATE jukebox_rooms SET name = \(bind: room.name), require_accounts = \(bind: room.requireAccounts),
                downvotes_to_remove = \(bind: room.downvotesToRemove), downvotes_to_skip = \(bind: room.downvotesToSkip),
                max_per_guest = \(bind: room.maxPerGuest), cooldown_minutes = \(bind: room.cooldownMinutes), max_queue = \(bind: room.maxQueue),
                locked = \(bind: room.locked), autoplay = \(bind: room.autoplay), closed = \(bind: room.closed), gain = \(bind: room.gain),
                playback = \(bind: room.playback.rawValue), interactivity = \(bind: room.interactivity.rawValue),
                forbidden_words = \(bind: room.forbiddenWords.joined(separator: "\n")), new_music_only = \(bind: room.newMusicOnly),
                updated_at = \(bind: Clock.nowMillis())
            WHERE id = \(bind: room.id)
            """
        ).run()
    }

    static func setJoinCode(_ id: Int64, sealed: String, on db: any SQLDatabase) async throws {
        try await db.raw(
            "UPDATE jukebox_rooms SET join_code_sealed = \(bind: sealed), updated_at = \(bind: Clock.nowMillis()) WHERE id = \(bind: id)"
        )
        .run()
    }

    /// The room's clock: what plays since when, paused since when.
    static func setClock(_ id: Int64, entry: Int64?, startedAt: Int64?, pausedAt: Int64?, on db: any SQLDatabase) async throws {
        try await db.raw(
            """
            UPDATE jukebox_rooms SET current_entry_id = \(bind: entry), current_started_at = \(bind: startedAt), paused_at = \(bind: pausedAt),
                updated_at = \(bind: Clock.nowMillis())
            WHERE id = \(bind: id)
            """
        ).run()
    }

    static func find(id: Int64, on db: any SQLDatabase) async throws -> RoomRecord? {
        try await db.raw("SELECT * FROM jukebox_rooms WHERE id = \(bind: id)").first().map(RoomRecord.init(row:))
    }

    /// Open rooms that play on their stream and have something to play now (a song under way
    /// and not paused, or one queued): the streams that should be on air.
    static func streamsDue(on db: any SQLDatabase) async throws -> [RoomRecord] {
        try await db.raw(
            """
            SELECT * FROM jukebox_rooms r WHERE r.playback = 'stream' AND r.closed = \(bind: false)
              AND ((r.current_entry_id IS NOT NULL AND r.paused_at IS NULL)
                OR (r.current_entry_id IS NULL AND EXISTS (SELECT 1 FROM jukebox_entries e WHERE e.room_id = r.id AND e.state = 'queued')))
            """
        ).all().map(RoomRecord.init(row:))
    }

    static func openStreamRoomIDs(on db: any SQLDatabase) async throws -> [Int64] {
        try await db.raw("SELECT id FROM jukebox_rooms WHERE playback = 'stream' AND closed = \(bind: false)").all().map {
            try $0.decode(column: "id", as: Int64.self)
        }
    }

    static func delete(_ id: Int64, on db: any SQLDatabase) async throws {
        try await db.raw("DELETE FROM jukebox_rooms WHERE id = \(bind: id)").run()
    }
}

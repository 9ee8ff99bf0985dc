import Foundation
import SQLKit

/// The people in a room (`jukebox_guests`): a signed-in user, or a named guest known by a
/// cookie whose token is stored hashed. Votes and suggestions are theirs.
struct RoomGuest: Sendable {
    var id: Int64
    var name: String
    var userID: Int64?
    var banned: Bool
    var lastSuggestedAt: Int64?
    /// Until when the songs played in the room become this signed-in guest's listens (their choice).
    var sharesListensUntil: Int64?

    func sharesListens(now: Int64) -> Bool { (sharesListensUntil ?? 0) > now }

    init(row: any SQLRow) throws {
        id = try row.decode(column: "id", as: Int64.self)
        name = try row.decode(column: "name", as: String.self)
        userID = try row.decode(column: "user_id", as: Int64?.self)
        banned = try row.decode(column: "banned", as: Bool.self)
        lastSuggestedAt = try row.decode(column: "last_suggested_at", as: Int64?.self)
        sharesListensUntil = try row.decode(column: "shares_listens_until", as: Int64?.self)
    }
}

enum RoomGuests {
    static func cookieName(_ room: RoomRecord) -> String { "cadenza_party_\(room.id)" }

    static func find(roomID: Int64, userID: Int64, on db: any SQLDatabase) async throws -> RoomGuest? {
        try await db.raw("SELECT * FROM jukebox_guests WHERE room_id = \(bind: roomID) AND user_id = \(bind: userID)").first().map(
            RoomGuest.init(row:))
    }

    static func find(roomID: Int64, session: String, on db: any SQLDatabase) async throws -> RoomGuest? {
        try await db.raw(
            "SELECT * FROM jukebox_guests WHERE room_id = \(bind: roomID) AND session_hash = \(bind: Secrets.hash(session))"
        ).first().map(RoomGuest.init(row:))
    }

    static func find(id: Int64, roomID: Int64, on db: any SQLDatabase) async throws -> RoomGuest? {
        try await db.raw("SELECT * FROM jukebox_guests WHERE id = \(bind: id) AND room_id = \(bind: roomID)").first().map(RoomGuest.init(row:))
    }

    /// A guest row for a signed-in user (their username) or for a new cookie session.
    static func join(roomID: Int64, name: String, userID: Int64?, session: String?, on db: any SQLDatabase) async throws -> RoomGuest? {
        try await db.raw(
            """
            INSERT INTO jukebox_guests (room_id, name, user_id, session_hash, banned, created_at)
            VALUES (\(bind: roomID), \(bind: name), \(bind: userID), \(bind: session.map(Secrets.hash)), \(bind: false), \(bind: Clock.nowMillis()))
            ON CONFLICT DO NOTHING RETURNING *
            """
        ).first().map(RoomGuest.init(row:))
    }

    /// A signed-in user's seat in a room (the host's too), made on first use; a race with
    /// another request making it finds the one that won.
    static func seat(roomID: Int64, userID: Int64, username: String, on db: any SQLDatabase) async throws -> RoomGuest {
        if let guest = try await find(roomID: roomID, userID: userID, on: db) { return guest }
        if let guest = try await join(roomID: roomID, name: username, userID: userID, session: nil, on: db) { return guest }
        guard let guest = try await find(roomID: roomID, userID: userID, on: db) else {
            throw RoomQueue.Refusal(status: 409, message: "Could not join the room; try again.")
        }
        return guest
    }

    static func count(roomID: Int64, on db: any SQLDatabase) async throws -> Int {
        try await db.raw("SELECT COUNT(*) AS n FROM jukebox_guests WHERE room_id = \(bind: roomID)").first()?.decode(column: "n", as: Int.self) ?? 0
    }

    static func setBanned(_ id: Int64, _ banned: Bool, on db: any SQLDatabase) async throws {
        try await db.raw("UPDATE jukebox_guests SET banned = \(bind: banned) WHERE id = \(bind: id)").run()
    }

    /// How long a guest's choice to take the room's songs as listens lasts: a night, not for ever
    /// (rooms are reused; a guest who went home should not get next month's songs).
    static let sharingMs: Int64 = 12 * 3_600_000

    static func setSharesListens(_ id: Int64, until: Int64?, on db: any SQLDatabase) async throws {
        try await db.raw("UPDATE jukebox_guests SET shares_listens_until = \(bind: until) WHERE id = \(bind: id)").run()
    }

    /// The accounts, other than the host's, that take the room's songs as listens now.
    static func listenSharers(roomID: Int64, ownerID: Int64, now: Int64, on db: any SQLDatabase) async throws -> [Int64] {
        try await db.raw(
            """
            SELECT user_id FROM jukebox_guests WHERE room_id = \(bind: roomID) AND user_id IS NOT NULL AND user_id <> \(bind: ownerID)
              AND shares_listens_until > \(bind: now) AND banned = \(bind: false)
            """
        ).all().map { try $0.decode(column: "user_id", as: Int64.self) }
    }

    static func suggested(_ id: Int64, at: Int64, on db: any SQLDatabase) async throws {
        try await db.raw("UPDATE jukebox_guests SET last_suggested_at = \(bind: at) WHERE id = \(bind: id)").run()
    }

    /// The names of the room's guests `ids` (those who suggested what is queued).
    static func names(ids: [Int64], roomID: Int64, on db: any SQLDatabase) async throws -> [Int64: String] {
        var names: [Int64: String] = [:]
        guard !ids.isEmpty else { return names }
        for row in try await db.raw(
            "SELECT id, name FROM jukebox_guests WHERE room_id = \(bind: roomID) AND id IN (\(SQLList(ids.map { SQLBind($0) })))"
        ).all() {
            names[try row.decode(column: "id", as: Int64.self)] = try row.decode(column: "name", as: String.self)
        }
        return names
    }
}

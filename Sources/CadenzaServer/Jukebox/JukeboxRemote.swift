import Fluent
import Foundation
import SQLKit
import Vapor

/// The jukebox as a remote control drives it (Subsonic `jukeboxControl`, DSub's and
/// Ultrasonic's jukebox mode): the user's active room — the newest open one they host, made on
/// first use. The room's list is what plays and then the queue in play order.
enum JukeboxRemote {
    struct Status: Sendable {
        var currentIndex: Int
        var playing: Bool
        var positionSeconds: Int
        var trackIDs: [Int64]
        var gain: Double
    }

    enum Action: Sendable {
        case start, stop, clear, shuffle
        /// To the list's `index` (nil: the next song).
        case skip(index: Int?)
        case setGain(Double)
        case add([Int64])
        case set([Int64])
        case remove(index: Int)
    }

    /// The newest open room `userID` hosts, or a new one of their own.
    static func activeRoom(userID: Int64, username: String, app: Application) async throws -> RoomRecord {
        let db = app.db.sql
        if let room = try await db.raw(
            "SELECT * FROM jukebox_rooms WHERE owner_id = \(bind: userID) AND closed = \(bind: false) ORDER BY updated_at DESC, id DESC LIMIT 1"
        ).first().map(RoomRecord.init(row:)) {
            return room
        }
        let sealed = try app.secretBox.seal(Secrets.randomToken(bytes: 9))
        if let room = try await Rooms.create(
            slug: "jukebox-\(userID)", name: "\(username)'s jukebox", ownerID: userID, codeSealed: sealed, requireAccounts: true, playback: .stream,
            on: db)
        {
            return room
        }
        guard let room = try await Rooms.find(slug: "jukebox-\(userID)", on: db) else { throw RoomQueue.Refusal(status: 409, message: "No room.") }
        return room
    }

    static func status(_ room: RoomRecord, on db: any SQLDatabase) async throws -> Status {
        let room = try await Rooms.find(slug: room.slug, on: db) ?? room
        var ids = try await RoomQueue.queued(roomID: room.id, on: db).map(\.trackID)
        var current = -1
        if let id = room.currentEntryID, let entry = try await RoomQueue.entry(id, roomID: room.id, on: db) {
            ids.insert(entry.trackID, at: 0)
            current = 0
        }
        let position = room.elapsedMs(now: Clock.nowMillis()).map { Int($0 / 1000) } ?? 0
        return Status(
            currentIndex: current, playing: room.currentEntryID != nil && room.pausedAt == nil, positionSeconds: position, trackIDs: ids,
            gain: room.gain)
    }

    /// Applies `action` as the room's host would; songs already queued are left where they are.
    static func apply(_ action: Action, room: RoomRecord, host: RoomGuest, fluent: any Database) async throws {
        let now = Clock.nowMillis()
        try await fluent.writeTransaction { tx in
            let db = tx.sql
            guard let room = try await Rooms.lock(room.id, on: db) else { return }
            let queued = try await RoomQueue.queued(roomID: room.id, on: db)
            switch action {
            case .start:
                if let started = room.currentStartedAt, let paused = room.pausedAt {
                    try await Rooms.setClock(room.id, entry: room.currentEntryID, startedAt: started + (now - paused), pausedAt: nil, on: db)
                }
            case .stop:
                if room.currentStartedAt != nil, room.pausedAt == nil {
                    try await Rooms.setClock(room.id, entry: room.currentEntryID, startedAt: room.currentStartedAt, pausedAt: now, on: db)
                }
            case .skip(let index):
                // The list is what plays, then the queue: a queued song skipped to goes to the
                // top, and what plays gives way to it (index 0, what plays, stays on).
                let offset = room.currentEntryID == nil ? 0 : 1
                if let index, index < offset { break }
                if let index {
                    guard queued.indices.contains(index - offset) else { throw RoomQueue.Refusal(status: 404, message: "No song at index \(index).") }
                    try await RoomQueue.pin(queued[index - offset].id, room: room, now: now, on: db)
                }
                if let current = room.currentEntryID { try await RoomQueue.end(current, as: "skipped", room: room, now: now, on: db) }
            case .setGain(let gain):
                var changed = room
                changed.gain = gain
                try await Rooms.saveSettings(changed, on: db)
            case .clear, .set:
                try await RoomQueue.clear(room: room, now: now, on: db)
            case .remove(let index):
                // The list is what plays, then the queue.
                let offset = room.currentEntryID == nil ? 0 : 1
                if index == 0 && offset == 1, let current = room.currentEntryID {
                    try await RoomQueue.end(current, as: "skipped", room: room, now: now, on: db)
                } else if queued.indices.contains(index - offset) {
                    try await RoomQueue.end(queued[index - offset].id, as: "removed", room: room, now: now, on: db)
                }
            case .shuffle, .add:
                break
            }
            if case .add(let ids) = action { try await add(ids, room: room, host: host, db: db, now: now) }
            if case .set(let ids) = action { try await add(ids, room: room, host: host, db: db, now: now) }
            try await RoomsController.changed(room, reason: "remote", on: db)
        }
    }

    private static func add(_ ids: [Int64], room: RoomRecord, host: RoomGuest, db: any SQLDatabase, now: Int64) async throws {
        for (offset, id) in ids.enumerated() {
            do {
                // A millisecond apart: the list keeps the order it was given in.
                _ = try await RoomQueue.suggest(id, room: room, guest: host, isHost: true, now: now + Int64(offset), on: db)
            } catch is RoomQueue.Refusal {
                continue  // queued already, or on cooldown: the rest still go in
            }
        }
    }
}

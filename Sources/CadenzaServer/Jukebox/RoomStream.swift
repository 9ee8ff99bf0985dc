import CadenzaPlayout
import Fluent
import Foundation
import Logging
import NIOConcurrencyHelpers
import SQLKit
import Vapor

/// A room that plays on its stream: the playout engine plays the room's queue to the room's
/// own mount, for any player or smart speaker. As with the speaker page, a song leaves the
/// queue only when the engine reports its first sample on the bus (a player that fails never
/// eats the queue); one that gives no audio is marked failed and passed over once. The room's
/// clock stays in the database: a skip, a pause or a removal anywhere reaches the engine on its
/// next look at the room, half a second at most.
final class RoomStream: Sendable {
    let roomID: Int64
    let mount: Mount
    private let engine: PlayoutEngine
    private let queue: PlayoutQueue
    private let encoder: Encoder
    private let gain: NIOLockedValueBox<Double>
    private let notes: AsyncStream<Note>
    private let noteSink: AsyncStream<Note>.Continuation
    private let tasks = NIOLockedValueBox<[Task<Void, Never>]>([])
    /// Set by `stop`; the engine is started under the same lock, so a stop never misses it.
    private let stopped = NIOLockedValueBox(false)
    private let db: any SQLDatabase
    private let fluent: any Database
    private let logger: Logger
    /// Since when it has had nothing to play and no one listening (nil: busy).
    let idleSince = NIOLockedValueBox<Date?>(nil)

    enum Note: Sendable {
        case engine(PlayoutEvent)
        case tick
    }

    /// What the driver knows between notes: the song the engine plays (confirmed), one whose
    /// start the database has not taken yet, the item it was handed and has not reported yet,
    /// the libraries the room plays from, and when autoplay may pick again.
    private struct Driver {
        var onAir: PlayoutItem?
        var unconfirmed: PlayoutItem?
        var handed: PlayoutItem?
        var libraries: [Int64] = []
        var librariesRead = Date.distantPast
        var autoplayAfter = Date.distantPast
    }

    init(room: RoomRecord, app: Application, ffmpeg: String) {
        roomID = room.id
        db = app.db.sql
        fluent = app.db
        logger = app.logger
        let mount = Mount(format: .mp3)
        self.mount = mount
        let encoder = Encoder(format: .mp3, ffmpeg: ffmpeg, output: mount.append)
        self.encoder = encoder
        let gain = NIOLockedValueBox(room.gain)
        self.gain = gain
        queue = PlayoutQueue()
        (notes, noteSink) = AsyncStream<Note>.makeStream(bufferingPolicy: .unbounded)
        var options = PlayoutEngine.Options()
        options.ffmpeg = ffmpeg
        // A party waits for its next song in silence, not to a test tone.
        options.fallbackTone = false
        let sink = noteSink
        engine = PlayoutEngine(
            queue: queue, options: options,
            sink: { pcm in encoder.write(Self.scaled(pcm, by: gain.withLockedValue { $0 })) },
            events: { event in
                switch event {
                case .started(let item, let frame): mount.setTitle(item.streamTitle, atFrame: frame)
                case .underrun: return  // ten a second while a decoder is behind: nothing to record
                default: break
                }
                sink.yield(.engine(event))
            })
    }

    /// The host's volume (Subsonic `setGain`), applied to the bus: 1 leaves it untouched.
    static func scaled(_ pcm: [UInt8], by gain: Double) -> [UInt8] {
        guard gain < 0.999 else { return pcm }
        let factor = max(0, gain)
        var out = pcm
        var index = 0
        while index + 1 < out.count {
            let sample = Int16(bitPattern: UInt16(out[index]) | UInt16(out[index + 1]) << 8)
            let bits = UInt16(bitPattern: Int16((Double(sample) * factor).rounded()))
            out[index] = UInt8(bits & 0xff)
            out[index + 1] = UInt8(bits >> 8)
            index += 2
        }
        return out
    }

    /// Hands the engine what plays now (the song under way, from where the room's clock is),
    /// then puts the bus on air.
    func start() {
        let driverTask = Task { [self] in
            var driver = Driver()
            if let room = try? await Rooms.find(id: roomID, on: db) { try? await resume(room, &driver) }
            let started = stopped.withLockedValue { stopped in
                if !stopped { engine.start() }
                return !stopped
            }
            guard started else { return }
            for await note in notes {
                do {
                    switch note {
                    case .engine(let event): try await handle(event, &driver)
                    case .tick: try await tick(&driver)
                    }
                } catch {
                    logger.warning("room stream \(roomID): \(String(describing: error))")
                }
            }
        }
        let clock = Task { [noteSink] in
            while !Task.isCancelled {
                noteSink.yield(.tick)
                try? await Task.sleep(for: .milliseconds(500))
            }
        }
        tasks.withLockedValue { $0 = [driverTask, clock] }
    }

    func stop() async {
        stopped.withLockedValue { $0 = true }
        for task in tasks.withLockedValue({ $0 }) { task.cancel() }
        noteSink.finish()
        encoder.stop()
        mount.close()
        await engine.stopOffThread()
    }

    /// The song under way, which the engine is not playing (the stream (re)started: a restart,
    /// a listener back after a pause), picked up where the room's clock says; one whose time ran
    /// out meanwhile is over (played), and one with no playable file failed.
    private func resume(_ room: RoomRecord, _ driver: inout Driver) async throws {
        guard let current = room.currentEntryID else { return }
        let now = Clock.nowMillis()
        guard let entry = try await RoomQueue.entry(current, roomID: roomID, on: db), entry.state == "playing" else {
            // The clock names a song that is not playing: the room is cleared of it.
            try await fluent.writeTransaction { tx in
                guard let room = try await Rooms.lock(self.roomID, on: tx.sql), room.currentEntryID == current else { return }
                try await Rooms.setClock(room.id, entry: nil, startedAt: nil, pausedAt: nil, on: tx.sql)
                try await RoomsController.changed(room, reason: "ended", on: tx.sql)
            }
            return
        }
        engine.setPaused(room.pausedAt != nil)
        guard var item = try await item(for: entry, room: room, driver: &driver) else {
            try await markFailed(current, now: now)
            return
        }
        let elapsed = room.elapsedMs(now: now) ?? 0
        guard elapsed < Int64(item.durationMs) - 500 else {
            try await end(current, as: "played", ifCurrent: true, now: now)
            return
        }
        item.startMs = Int(max(0, elapsed))
        queue.replace(with: [item])
        driver.handed = item
    }

    private func handle(_ event: PlayoutEvent, _ driver: inout Driver) async throws {
        let now = Clock.nowMillis()
        switch event {
        case .started(let item, _):
            if driver.handed?.id == item.id { driver.handed = nil }
            driver.onAir = item
            driver.unconfirmed = item
            try await confirm(&driver, now: now)
        case .finished(let item, _, _):
            guard let entryID = Int64(item.id), driver.onAir?.id == item.id else { return }
            driver.onAir = nil
            if driver.unconfirmed?.id == item.id { driver.unconfirmed = nil }
            try await end(entryID, as: "played", ifCurrent: true, now: now)
        case .failed(let item, _):
            guard let entryID = Int64(item.id) else { return }
            if driver.handed?.id == item.id { driver.handed = nil }
            try await markFailed(entryID, now: now)
        case .fallback, .underrun, .silence:
            break
        }
    }

    /// The engine started a song: only now does it leave the queue. Retried on the next tick if
    /// the database did not take it; refused (removed or skipped after the engine took it), it
    /// does not play.
    private func confirm(_ driver: inout Driver, now: Int64) async throws {
        guard let item = driver.unconfirmed, let entryID = Int64(item.id) else { return }
        do {
            try await fluent.writeTransaction { tx in
                guard let room = try await Rooms.lock(self.roomID, on: tx.sql) else { return }
                try await RoomQueue.started(entryID, room: room, now: now, on: tx.sql)
                try await RoomsController.changed(room, reason: "started", on: tx.sql)
            }
            driver.unconfirmed = nil
        } catch is RoomQueue.Refusal {
            driver.unconfirmed = nil
            driver.onAir = nil
            engine.skip(id: item.id)
        }
    }

    /// Marked, and so passed over once: never dropped silently, never retried in a loop.
    private func markFailed(_ entryID: Int64, now: Int64) async throws {
        logger.warning("room stream \(roomID): entry \(entryID) gave no audio; marked failed")
        try await end(entryID, as: "failed", ifCurrent: false, now: now)
    }

    /// Ends the entry as `state` with the room locked (with `ifCurrent`, only while it is the
    /// room's current song), and tells the room's pages.
    private func end(_ entryID: Int64, as state: String, ifCurrent: Bool, now: Int64) async throws {
        try await fluent.writeTransaction { tx in
            guard let room = try await Rooms.lock(self.roomID, on: tx.sql), !ifCurrent || room.currentEntryID == entryID else { return }
            if try await RoomQueue.end(entryID, as: state, room: room, now: now, on: tx.sql) {
                try await RoomsController.changed(room, reason: state == "failed" ? "failed" : "ended", on: tx.sql)
            }
        }
    }

    /// The room as it stands: its volume, pause and skips reach the engine, and the engine is
    /// handed the queue's top song (swapped while it waits if the votes change the top).
    private func tick(_ driver: inout Driver) async throws {
        if driver.unconfirmed != nil { try await confirm(&driver, now: Clock.nowMillis()) }
        guard let room = try await Rooms.find(id: roomID, on: db) else { return }
        gain.withLockedValue { $0 = room.gain }
        engine.setPaused(room.pausedAt != nil && room.currentEntryID != nil)
        if let playing = driver.onAir, driver.unconfirmed == nil, room.currentEntryID.map(String.init) != playing.id {
            // Skipped, removed or voted off elsewhere (only that song: one that ended meanwhile
            // is not mistaken for the next).
            driver.onAir = nil
            engine.skip(id: playing.id)
        }
        if room.currentEntryID != nil, driver.onAir == nil, driver.handed == nil {
            // The room's clock names a song the engine is not playing (it failed to be written as
            // over, or the stream restarted): pick it up, or end it.
            try await resume(room, &driver)
        }
        // Paused with no one listening is idle too: the stream comes back with the next play.
        let listening = mount.listenerCount > 0
        let paused = room.pausedAt != nil
        if let handed = driver.handed, !queue.upcoming.contains(handed) {
            // Taken by the engine (it starts within seconds): wait for its report, unless its
            // song left the queue meanwhile (removed, banned): then it goes before it airs.
            if room.currentEntryID.map(String.init) != handed.id, let id = Int64(handed.id),
                try await RoomQueue.entry(id, roomID: roomID, on: db)?.state != "queued"
            {
                engine.skip(id: handed.id)
                driver.handed = nil
            }
            setIdle(!listening && paused)
            return
        }
        var top = try await RoomQueue.queued(roomID: roomID, on: db).first
        if top == nil, room.autoplay, listening, endsSoon(room, driver), Date() >= driver.autoplayAfter {
            top = try await RoomsController.autoplayNext(room: room, libraries: try await libraries(room, &driver), on: fluent)
            // Not every tick: a library with nothing left to pick, or files that fail, is not
            // searched (and written) twice a second.
            driver.autoplayAfter = Date().addingTimeInterval(top == nil ? 30 : 5)
        }
        setIdle(!listening && (paused || (room.currentEntryID == nil && driver.handed == nil && top == nil)))
        guard let top else {
            if driver.handed != nil { queue.replace(with: []) }
            driver.handed = nil
            return
        }
        if driver.handed?.id == String(top.id) { return }
        guard let item = try await item(for: top, room: room, driver: &driver) else {
            try await markFailed(top.id, now: Clock.nowMillis())
            return
        }
        queue.replace(with: [item])
        driver.handed = item
    }

    private func setIdle(_ idle: Bool) {
        idleSince.withLockedValue { since in since = idle ? (since ?? Date()) : nil }
    }

    /// Nothing plays, or what plays has less than a quarter minute to go: time to pick the next.
    private func endsSoon(_ room: RoomRecord, _ driver: Driver) -> Bool {
        guard room.currentEntryID != nil else { return true }
        guard let playing = driver.onAir, let elapsed = room.elapsedMs(now: Clock.nowMillis()) else { return false }
        return Int64(playing.durationMs) - elapsed < 15_000
    }

    private func libraries(_ room: RoomRecord, _ driver: inout Driver) async throws -> [Int64] {
        if Date().timeIntervalSince(driver.librariesRead) > 30 {
            driver.libraries = try await RoomsController.libraries(of: room, on: fluent)
            driver.librariesRead = Date()
        }
        return driver.libraries
    }

    /// The entry's track as the engine plays it (nil: no playable file in the room's libraries).
    private func item(for entry: RoomEntry, room: RoomRecord, driver: inout Driver) async throws -> PlayoutItem? {
        guard let track = try await CatalogQueries.airableTrack(id: entry.trackID, libraries: try await libraries(room, &driver), on: db) else {
            return nil
        }
        return PlayoutItem(id: String(entry.id), path: track.absolutePath, title: track.title, artist: track.artist, durationMs: track.durationMs)
    }
}

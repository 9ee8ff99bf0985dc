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
    private let db: any SQLDatabase
    private let fluent: any Database
    private let logger: Logger
    /// Since when it has had nothing to play and no one listening (nil: busy).
    let idleSince = NIOLockedValueBox<Date?>(nil)

    enum Note: Sendable {
        case engine(PlayoutEvent)
        case tick
    }

    /// What the driver knows between notes: the song the engine plays (confirmed), the item it
    /// was handed and has not reported yet, and the libraries the room plays from.
    private struct Driver {
        var onAir: PlayoutItem?
        var handed: PlayoutItem?
        var libraries: [Int64] = []
        var librariesRead = Date.distantPast
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
            await resume(&driver)
            engine.start()
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
        for task in tasks.withLockedValue({ $0 }) { task.cancel() }
        noteSink.finish()
        encoder.stop()
        mount.close()
        let engine = self.engine
        // The engine's stop waits for its thread: not on a task's thread.
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            Thread {
                engine.stop()
                done.resume()
            }.start()
        }
    }

    /// A stream (re)started while a song is under way — a restart, a listener back after a
    /// pause — picks it up where the room's clock says.
    private func resume(_ driver: inout Driver) async {
        guard let room = try? await Rooms.find(id: roomID, on: db), let current = room.currentEntryID,
            let entry = try? await RoomQueue.entry(current, roomID: roomID, on: db), entry.state == "playing"
        else { return }
        engine.setPaused(room.pausedAt != nil)
        guard var item = try? await item(for: entry, room: room, driver: &driver) else { return }
        item.startMs = Int(min(room.elapsedMs(now: Clock.nowMillis()) ?? 0, Int64(item.durationMs)))
        queue.replace(with: [item])
        driver.handed = item
    }

    private func handle(_ event: PlayoutEvent, _ driver: inout Driver) async throws {
        let now = Clock.nowMillis()
        switch event {
        case .started(let item, _):
            guard let entryID = Int64(item.id) else { return }
            if driver.handed?.id == item.id { driver.handed = nil }
            do {
                try await fluent.writeTransaction { tx in
                    guard let room = try await Rooms.lock(self.roomID, on: tx.sql) else { return }
                    try await RoomQueue.started(entryID, room: room, now: now, on: tx.sql)
                    try await RoomsController.changed(room, reason: "started", on: tx.sql)
                }
                driver.onAir = item
            } catch is RoomQueue.Refusal {
                // Removed or skipped after the engine took it: it does not play.
                driver.onAir = nil
                engine.skip()
            }
        case .finished(let item, _, _):
            guard let entryID = Int64(item.id), driver.onAir?.id == item.id else { return }
            driver.onAir = nil
            try await fluent.writeTransaction { tx in
                guard let room = try await Rooms.lock(self.roomID, on: tx.sql), room.currentEntryID == entryID else { return }
                try await RoomQueue.end(entryID, as: "played", room: room, now: now, on: tx.sql)
                try await RoomsController.changed(room, reason: "ended", on: tx.sql)
            }
        case .failed(let item, _):
            guard let entryID = Int64(item.id) else { return }
            if driver.handed?.id == item.id { driver.handed = nil }
            try await markFailed(entryID, now: now)
        case .fallback, .underrun:
            break
        }
    }

    /// Marked, and so passed over once: never dropped silently, never retried in a loop.
    private func markFailed(_ entryID: Int64, now: Int64) async throws {
        logger.warning("room stream \(roomID): entry \(entryID) gave no audio; marked failed")
        try await fluent.writeTransaction { tx in
            guard let room = try await Rooms.lock(self.roomID, on: tx.sql) else { return }
            if try await RoomQueue.end(entryID, as: "failed", room: room, now: now, on: tx.sql) {
                try await RoomsController.changed(room, reason: "failed", on: tx.sql)
            }
        }
    }

    /// The room as it stands: its volume, pause and skips reach the engine, and the engine is
    /// handed the queue's top song (swapped while it waits if the votes change the top).
    private func tick(_ driver: inout Driver) async throws {
        guard let room = try await Rooms.find(id: roomID, on: db) else { return }
        gain.withLockedValue { $0 = room.gain }
        engine.setPaused(room.pausedAt != nil && room.currentEntryID != nil)
        if let playing = driver.onAir, room.currentEntryID.map(String.init) != playing.id {
            // Skipped, removed or voted off elsewhere.
            driver.onAir = nil
            engine.skip()
        }
        if let handed = driver.handed {
            // Taken by the engine already (it starts within seconds): wait for its report.
            guard queue.upcoming.contains(handed) else { return }
        }
        var top = try await RoomQueue.queued(roomID: roomID, on: db).first
        if top == nil, room.autoplay, mount.listenerCount > 0, endsSoon(room, driver) {
            top = try await RoomsController.autoplayNext(room: room, libraries: try await libraries(room, &driver), on: fluent)
        }
        // Paused with no one listening is idle too: the stream comes back with the next play.
        let busy = mount.listenerCount > 0 || (room.pausedAt == nil && (room.currentEntryID != nil || driver.handed != nil || top != nil))
        idleSince.withLockedValue { since in since = busy ? nil : (since ?? Date()) }
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

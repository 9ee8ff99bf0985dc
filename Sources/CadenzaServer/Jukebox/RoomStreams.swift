import CadenzaPlayout
import Foundation
import Vapor

/// The rooms on their streams, kept in step with the rooms table by the one process that holds
/// the jukebox's playout lease (two engines would both advance one queue): a stream-mode room
/// with a song under way (not paused) or one queued goes on air within a second; one with
/// nothing to play and no one listening goes off air a little later; a closed or deleted room,
/// or one switched to its speaker, at once.
actor RoomStreams {
    private var streams: [Int64: RoomStream] = [:]
    private var leading = false
    private let ffmpeg: String
    /// How long a stream with nothing to play and no listener stays up.
    static let idleSeconds: TimeInterval = 20

    init(ffmpeg: String) {
        self.ffmpeg = ffmpeg
    }

    /// The room's stream, started if it is not on air (a listener arrived first); nil in a
    /// process that does not play the rooms.
    func stream(for room: RoomRecord, app: Application) -> RoomStream? {
        guard leading else { return nil }
        if let running = streams[room.id] { return running }
        let stream = RoomStream(room: room, app: app, ffmpeg: ffmpeg)
        streams[room.id] = stream
        stream.start()
        return stream
    }

    /// The room's stream once this process plays the rooms (it waits up to `patience` for the
    /// lease, as it does right after a restart); nil if another process plays them.
    func stream(for room: RoomRecord, app: Application, patience: Duration) async -> RoomStream? {
        let deadline = ContinuousClock.now + patience
        while !leading, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(250))
        }
        return stream(for: room, app: app)
    }

    func reconcile(app: Application) async throws {
        leading = true
        let due = try await Rooms.streamsDue(on: app.sql)
        let open = Set(try await Rooms.openStreamRoomIDs(on: app.sql))
        for room in due where streams[room.id] == nil {
            _ = stream(for: room, app: app)
        }
        let dueIDs = Set(due.map(\.id))
        for (id, stream) in streams {
            let idle = stream.idleSince.withLockedValue { $0 }.map { Date().timeIntervalSince($0) > Self.idleSeconds } ?? false
            guard !open.contains(id) || (!dueIDs.contains(id) && idle && stream.mount.listenerCount == 0) else { continue }
            streams[id] = nil
            Task { await stream.stop() }
        }
    }

    func stopAll() async {
        leading = false
        let all = Array(streams.values)
        streams.removeAll()
        await withTaskGroup(of: Void.self) { group in
            for stream in all { group.addTask { await stream.stop() } }
        }
    }
}

extension RoomStreams {
    /// Plays the rooms' streams while this process holds the lease; another takes over within
    /// one lease if it dies, and the songs under way resume where the rooms' clocks say.
    nonisolated func service(app: Application) -> LeaderService {
        // A short lease: after a crash the restarted server takes the rooms back within seconds.
        LeaderService(key: "jukebox.streams", db: app.sql, lease: .seconds(6), renewals: try? app.cadenza.leases, logger: app.logger) {
            do {
                while !Task.isCancelled {
                    do {
                        try await self.reconcile(app: app)
                    } catch is CancellationError {
                        throw CancellationError()
                    } catch {
                        app.logger.warning("jukebox: could not read the rooms: \(String(describing: error))")
                    }
                    try await Task.sleep(for: .seconds(1))
                }
            } catch {}
            await self.stopAll()
        }
    }
}

import CadenzaPlayout
import Foundation
import ServiceLifecycle
import Vapor

/// The rooms on their streams in this process, kept in step with the rooms table: a
/// stream-mode room with a song under way (not paused) or one queued goes on air within a
/// second; one with nothing to play and no one listening goes off air a little later; a closed
/// or deleted room, or one switched to its speaker, at once.
actor RoomStreams {
    private var streams: [Int64: RoomStream] = [:]
    private let ffmpeg: String
    /// How long a stream with nothing to play and no listener stays up.
    static let idleSeconds: TimeInterval = 20

    init(ffmpeg: String) {
        self.ffmpeg = ffmpeg
    }

    /// The room's stream, started if it is not on air (a listener arrived first).
    func stream(for room: RoomRecord, app: Application) -> RoomStream {
        if let running = streams[room.id] { return running }
        let stream = RoomStream(room: room, app: app, ffmpeg: ffmpeg)
        streams[room.id] = stream
        stream.start()
        return stream
    }

    func reconcile(app: Application) async throws {
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
        let all = Array(streams.values)
        streams.removeAll()
        await withTaskGroup(of: Void.self) { group in
            for stream in all { group.addTask { await stream.stop() } }
        }
    }
}

/// Runs the rooms' streams inside `cadenza serve` until graceful shutdown.
struct RoomStreamService: Service {
    let streams: RoomStreams
    let app: Application

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await streams.reconcile(app: app)
                } catch {
                    app.logger.warning("jukebox: could not read the rooms: \(String(describing: error))")
                }
                try await Task.sleep(for: .seconds(1))
            }
        }
        await streams.stopAll()
    }
}

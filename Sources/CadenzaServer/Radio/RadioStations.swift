import Foundation
import ServiceLifecycle
import Vapor

/// The stations on air in this process, kept in step with the `stations` table: a station
/// created (over the API or `cadenza station create`, by any process) goes on air within
/// seconds; a changed one restarts with its new settings; a deleted one goes off air.
actor RadioStations {
    private var playouts: [String: StationPlayout] = [:]
    private var generation = 0
    private let ffmpeg: String
    private let hlsRoot: URL
    private let statsInterval: TimeInterval

    init(ffmpeg: String, hlsRoot: URL, statsInterval: TimeInterval) {
        self.ffmpeg = ffmpeg
        self.hlsRoot = hlsRoot
        self.statsInterval = statsInterval
    }

    func playout(slug: String) -> StationPlayout? { playouts[slug] }

    /// Applies the newest snapshot of the table; a slower call that read an older one gives way
    /// (the apply itself never suspends, so two calls cannot interleave in it).
    func reconcile(app: Application) async throws {
        generation += 1
        let mine = generation
        let stations = try await Stations.all(on: app.sql)
        guard mine == generation else { return }
        let wanted = Dictionary(uniqueKeysWithValues: stations.map { ($0.slug, $0) })
        for (slug, playout) in playouts where wanted[slug] != playout.station {
            let before = playout.station
            // Name, description or crossfade change on air; other outputs, or a narrower
            // audience (its listeners must go), need a new playout.
            if let changed = wanted[slug], changed.id == before.id, changed.outputs == before.outputs,
                changed.pushURLSealed == before.pushURLSealed,
                changed.visibility.openness >= before.visibility.openness
            {
                playout.update(changed)
                continue
            }
            playouts[slug] = nil
            let deleted = wanted[slug] == nil
            Task {
                await playout.stop()
                // A deleted station's HLS files go with it (a changed one appends to its playlist).
                if deleted { try? FileManager.default.removeItem(atPath: playout.hlsDirectory) }
            }
        }
        for station in stations where playouts[station.slug] == nil {
            let push = station.pushURLSealed.flatMap { try? app.secretBox.open($0) }.flatMap { try? IcecastTarget(parsing: $0) }
            let playout = StationPlayout(
                station: station, app: app, ffmpeg: ffmpeg, hlsRoot: hlsRoot, push: push, statsInterval: statsInterval)
            playouts[station.slug] = playout
            playout.start()
        }
    }

    func stopAll() async {
        let all = Array(playouts.values)
        playouts.removeAll()
        await withTaskGroup(of: Void.self) { group in
            for playout in all { group.addTask { await playout.stop() } }
        }
    }
}

/// Runs every station's playout inside `cadenza serve` until graceful shutdown.
struct RadioService: Service {
    let stations: RadioStations
    let app: Application
    /// The live DJ input's port (0: none).
    var livePort = 0
    var host = "127.0.0.1"

    func run() async throws {
        let live = livePort > 0 ? LiveInputServer(app: app, stations: stations) : nil
        await live?.start(host: host, port: livePort)
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await stations.reconcile(app: app)
                } catch {
                    app.logger.warning("radio: could not read the stations: \(String(describing: error))")
                }
                try await Task.sleep(for: .seconds(2))
            }
        }
        await live?.stop()
        await stations.stopAll()
    }
}

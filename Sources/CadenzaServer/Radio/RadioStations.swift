import Foundation
import ServiceLifecycle
import Vapor

/// The stations on air in this process, kept in step with the `stations` table: a station
/// created (over the API or `cadenza station create`, by any process) goes on air within
/// seconds; a changed one restarts with its new settings; a deleted one goes off air.
actor RadioStations {
    private var playouts: [String: StationPlayout] = [:]
    private let ffmpeg: String
    private let hlsRoot: URL

    init(ffmpeg: String, hlsRoot: URL) {
        self.ffmpeg = ffmpeg
        self.hlsRoot = hlsRoot
    }

    func playout(slug: String) -> StationPlayout? { playouts[slug] }

    func reconcile(app: Application) async throws {
        let stations = try await Stations.all(on: app.sql)
        let wanted = Dictionary(uniqueKeysWithValues: stations.map { ($0.slug, $0) })
        for (slug, playout) in playouts where wanted[slug] != playout.station {
            if let changed = wanted[slug], changed.id == playout.station.id, changed.outputs == playout.station.outputs {
                playout.update(changed)
                continue
            }
            playout.stop()
            playouts[slug] = nil
            // A deleted station's HLS files go with it (a changed one appends to its playlist).
            if wanted[slug] == nil { try? FileManager.default.removeItem(atPath: playout.hlsDirectory) }
        }
        for station in stations where playouts[station.slug] == nil {
            let playout = StationPlayout(station: station, app: app, ffmpeg: ffmpeg, hlsRoot: hlsRoot)
            playouts[station.slug] = playout
            playout.start()
        }
    }

    func stopAll() {
        for playout in playouts.values { playout.stop() }
        playouts.removeAll()
    }
}

/// Runs every station's playout inside `cadenza serve` until graceful shutdown.
struct RadioService: Service {
    let stations: RadioStations
    let app: Application

    func run() async throws {
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
        await stations.stopAll()
    }
}

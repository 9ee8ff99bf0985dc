import Fluent
import Foundation
import Vapor

/// A standby keeps its media cache warm: for each station this process may air but another one
/// airs now, what the station would air next is copied here too (the schedule's coming hours,
/// its station IDs, part of its rotation), so a takeover airs from local copies even while the
/// library's share is away. Every minute; nothing when the database does not answer.
enum StandbyCopies {
    static let interval: Duration = .seconds(60)

    static func paths(for station: StationRecord, on app: Application) async throws -> [String] {
        let libraries = try await AutoDJ.libraries(for: station, on: app.db)
        let now = Clock.nowMillis()
        var paths = try await ScheduleWindow.load(
            stationID: station.id, from: now - 60_000, to: now + StationPlayout.cacheAheadMillis, libraries: libraries, on: app.sql
        ).map(\.path)
        if station.airsJingles, let playlist = station.jinglePlaylistID {
            let entries = try await RadioPlaylists.resolve([playlist], station: station, libraries: libraries, on: app.sql)[playlist] ?? []
            let tracks = try await CatalogQueries.airableTracks(ids: Array(Set(entries.map(\.trackID))), libraries: libraries, on: app.sql)
            paths += entries.compactMap { tracks[$0.trackID]?.absolutePath }
        }
        paths += try await AutoDJ.pool(station: station, libraries: libraries, on: app.sql).prefix(StationPlayout.cachedPoolSize).map(\.item.path)
        return paths.filter { !$0.isEmpty }
    }
}

extension RadioStations {
    /// Runs until cancelled: the copies of the stations held elsewhere, one round a minute.
    func keepStandbyCopies(app: Application) async {
        guard let cache else { return }
        try? await Task.sleep(for: .seconds(5))
        while !Task.isCancelled {
            for (slug, station) in standingBy() {
                guard let paths = try? await StandbyCopies.paths(for: station, on: app) else { continue }
                // Aired here since the paths were read: the playout keeps its own copies now.
                guard isStandingBy(slug) else { continue }
                let copied = await runBlocking { cache.warm(paths, for: slug, cancelled: { Task.isCancelled }) }
                if copied > 0 { app.logger.info("station \(slug): \(copied) files copied, standing by to air it") }
            }
            try? await Task.sleep(for: StandbyCopies.interval)
        }
    }
}

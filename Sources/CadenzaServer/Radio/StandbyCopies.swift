import CadenzaPlayout
import Fluent
import Foundation
import NIOConcurrencyHelpers
import Vapor

/// A standby keeps its media cache warm: for each station this process may air but another one
/// airs now, what the station would air next is copied here too (the schedule's coming hours,
/// its station IDs, and a steady reserve of its rotation, only topped up, as an airing station
/// keeps one), so a takeover airs from local copies even while the library's share is away: the
/// reserve is handed to the station's playout when it goes on air here. Every minute; nothing
/// when the database does not answer.
enum StandbyCopies {
    static let interval: Duration = .seconds(60)

    /// What to copy besides the reserve, and the reserve topped up (what is no longer airable dropped).
    static func plan(
        for station: StationRecord, reserve: [AutoDJ.Candidate], on app: Application
    ) async throws -> (paths: [String], reserve: [AutoDJ.Candidate]) {
        let libraries = try await AutoDJ.libraries(for: station, on: app.db)
        let now = Clock.nowMillis()
        var paths = try await ScheduleWindow.load(
            stationID: station.id, from: now - 60_000, to: now + StationPlayout.cacheAheadMillis, libraries: libraries, on: app.sql
        ).map(\.path)
        if station.airsJingles, let playlist = station.jinglePlaylistID {
            paths += try await StationPlayout.jingles(of: playlist, station: station, libraries: libraries, on: app.sql).map(\.path)
        }
        let still = try await CatalogQueries.airableTracks(ids: reserve.map(\.trackID), libraries: libraries, on: app.sql)
        var kept = reserve.filter { still[$0.trackID] != nil }
        if kept.count < StationPlayout.cachedPoolSize {
            let have = Set(kept.map(\.trackID))
            let pool = try await AutoDJ.pool(station: station, libraries: libraries, on: app.sql)
            kept += pool.filter { !have.contains($0.trackID) }.prefix(StationPlayout.cachedPoolSize - kept.count)
        }
        return (paths.filter { !$0.isEmpty }, kept)
    }
}

extension RadioStations {
    /// Runs until cancelled: the copies of the stations held elsewhere, one round a minute. A
    /// round stops between files when this process goes on air with a station (its playout
    /// copies for itself) or stops.
    func keepStandbyCopies(app: Application) async {
        guard let cache else { return }
        try? await Task.sleep(for: .seconds(5))
        while !Task.isCancelled {
            // A station deleted, or aired here now, keeps no reserve here.
            standbyReserve = standbyReserve.filter { isStandingBy($0.key) }
            for (slug, station) in standingBy() {
                guard let plan = try? await StandbyCopies.plan(for: station, reserve: standbyReserve[slug] ?? [], on: app),
                    isStandingBy(slug)  // aired here since: the playout keeps its own copies now
                else { continue }
                standbyReserve[slug] = plan.reserve
                let stop = NIOLockedValueBox(false)
                standbyStop = stop
                let paths = plan.paths + plan.reserve.map(\.item.path)
                let copied = await runBlocking { cache.warm(paths, for: slug, cancelled: { stop.withLockedValue { $0 } }) }
                if copied > 0 { app.logger.info("station \(slug): \(copied) files copied, standing by to air it") }
            }
            try? await Task.sleep(for: StandbyCopies.interval)
        }
    }
}

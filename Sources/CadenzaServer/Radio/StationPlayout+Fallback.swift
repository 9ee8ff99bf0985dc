import CadenzaPlayout
import Foundation
import Logging
import NIOConcurrencyHelpers

extension StationPlayout {
    /// How much of a station's fallback track is kept (in memory, so it airs while storage is away) and looped.
    static let fallbackSeconds = 30
    /// How soon a fallback track that could not be read is tried again.
    static let fallbackRetry: TimeInterval = 60

    /// Keeps the engine's fallback what the station names: its track's first seconds, decoded
    /// once, or the tone. Called from the feeder each second; reads and decodes only on a change,
    /// in a task of its own (storage that hangs must not hold up the schedule and the queue).
    func keepFallback(libraries: [Int64]) {
        let wanted = station.fallbackTrackID
        state.withLockedValue { state in
            guard state.fallback.id != wanted || (state.fallback.missing && Date().timeIntervalSince(state.fallback.tried) >= Self.fallbackRetry)
            else { return }
            state.fallback = (wanted, false, Date())
            state.fallbackLoader?.cancel()
            state.fallbackLoader = Task { [self] in await loadFallback(wanted, libraries: libraries) }
        }
    }

    private func loadFallback(_ wanted: Int64?, libraries: [Int64]) async {
        guard let wanted else {
            engine.setFallback(nil)
            return
        }
        let track: CatalogQueries.AirableTrack?
        do {
            track = try await CatalogQueries.airableTrack(id: wanted, libraries: libraries, on: db)
        } catch {
            // The database is away: what is loaded stays, and it is read again later.
            state.withLockedValue { $0.fallback.missing = true }
            return
        }
        let path = track.map { cache?.resolve($0.absolutePath) ?? $0.absolutePath }
        let ffmpeg = self.ffmpeg
        let pcm = await runBlocking { path.flatMap { PCMClip.decode(path: $0, ffmpeg: ffmpeg, maxSeconds: Self.fallbackSeconds) } }
        // Changed (or stopped) meanwhile: the next call loads what is wanted now.
        guard !Task.isCancelled, station.fallbackTrackID == wanted else { return }
        if pcm == nil {
            logger.warning("station \(station.slug): its fallback track \(wanted) cannot be read; the tone stands in")
            state.withLockedValue { $0.fallback.missing = true }
        }
        engine.setFallback(pcm)
    }
}

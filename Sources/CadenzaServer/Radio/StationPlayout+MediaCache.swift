import CadenzaPlayout
import Foundation
import Logging
import NIOConcurrencyHelpers

/// What a station keeps copies of (see MediaCache): the schedule's next hours, its station IDs,
/// what is queued and part of its rotation's pool; and, while files that were not copied fail
/// to play, a rotation drawn from those that were.
extension StationPlayout {
    /// How far ahead the schedule's items are copied.
    static let cacheAheadMillis: Int64 = 6 * 3_600_000
    /// How many of the rotation's pool are copied (the pool itself is drawn anew every minute).
    static let cachedPoolSize = 40
    /// How long after a failure the rotation keeps to copied files.
    static let storageTroubleMillis: Int64 = 10 * 60_000

    func cachePaths() -> [String] {
        let now = Clock.nowMillis()
        let queued = upcomingItems().map(\.path)
        return queued
            + state.withLockedValue { state in
                state.schedule.filter { $0.endsAt > now && $0.startsAt < now + Self.cacheAheadMillis }.map(\.path)
                    + state.jingles.map(\.path) + state.pool.prefix(Self.cachedPoolSize).map(\.item.path)
            }.filter { !$0.isEmpty }
    }

    /// Runs until the station goes off air: a first round soon after it starts, then every minute.
    func keepCopies() async {
        guard let cache else { return }
        try? await Task.sleep(for: .seconds(3))
        while !Task.isCancelled {
            let paths = cachePaths()
            let copied = await runBlocking { cache.warm(paths) }
            if copied > 0 {
                let usage = cache.usage
                logger.info("station \(station.slug): \(copied) files copied for airing; \(usage.files) kept, \(usage.bytes >> 20) MB")
            }
            try? await Task.sleep(for: .seconds(60))
        }
    }

    /// The rotation's pool, or only its copied part while files that were not copied fail to
    /// play (and some were copied). Called under the state lock.
    func airablePool(_ state: State) -> [AutoDJ.Candidate] {
        guard let cache, state.storageFailedAt > Clock.nowMillis() - Self.storageTroubleMillis else { return state.pool }
        let copied = state.pool.filter { cache.contains($0.item.path) }
        return copied.isEmpty ? state.pool : copied
    }
}

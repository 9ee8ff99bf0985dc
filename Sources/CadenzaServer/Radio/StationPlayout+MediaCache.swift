import CadenzaPlayout
import Foundation
import Logging
import NIOConcurrencyHelpers

/// What a station keeps copies of (see MediaCache), and its rotation while files that were not
/// copied cannot be opened: drawn from those that were.
extension StationPlayout {
    /// How far ahead the schedule's items are copied.
    static let cacheAheadMillis: Int64 = 6 * 3_600_000
    /// How many of the rotation's pool are copied (the pool itself is drawn anew every minute).
    static let cachedPoolSize = 40
    /// How long after a failure the rotation keeps to copied files.
    static let storageTroubleMillis: Int64 = 10 * 60_000

    /// What to keep copies of, first what airs soonest: the queue, the schedule's coming hours,
    /// the station IDs, then the reserve (a steady part of the rotation: the pool is drawn anew
    /// every minute, the reserve only topped up, so copies are not made and dropped all day).
    func cachePaths() -> [String] {
        let now = Clock.nowMillis()
        let queued = upcomingItems().filter { $0.tag != "live" }.map(\.path)
        return queued
            + state.withLockedValue { state in
                if state.reserve.count < Self.cachedPoolSize {
                    let have = Set(state.reserve.map(\.trackID))
                    state.reserve += state.pool.filter { !have.contains($0.trackID) }.prefix(Self.cachedPoolSize - state.reserve.count)
                }
                return state.schedule.filter { $0.endsAt > now && $0.startsAt < now + Self.cacheAheadMillis }.map(\.path)
                    + state.jingles.map(\.path) + state.reserve.map(\.item.path)
            }.filter { !$0.isEmpty }
    }

    /// The reserve a standby kept copies of, for a station that goes on air here: with the
    /// library's share away, the rotation airs from it.
    func seedReserve(_ reserve: [AutoDJ.Candidate]) {
        state.withLockedValue { $0.reserve = Array(reserve.prefix(Self.cachedPoolSize)) }
    }

    /// Runs until the station goes off air: a first round soon after it starts, then every minute.
    func keepCopies() async {
        guard let cache else { return }
        try? await Task.sleep(for: .seconds(3))
        let key = station.slug
        while !Task.isCancelled {
            let paths = cachePaths()
            let copied = await runBlocking { [state] in cache.warm(paths, for: key, cancelled: { state.withLockedValue { $0.stopped } }) }
            if copied > 0 {
                let usage = cache.usage
                logger.info("station \(key): \(copied) files copied for airing; \(usage.files) kept, \(usage.bytes >> 20) MB")
            }
            try? await Task.sleep(for: .seconds(60))
        }
    }

    /// The rotation's pool, or only its copied part (the reserve's included) while files that
    /// were not copied cannot be opened (and some were copied). Called under the state lock.
    func airablePool(_ state: State) -> [AutoDJ.Candidate] {
        guard let cache, state.storageFailedAt > Clock.nowMillis() - Self.storageTroubleMillis else { return state.pool }
        var seen = Set<Int64>()
        let copied = (state.pool + state.reserve).filter { cache.contains($0.item.path) && seen.insert($0.trackID).inserted }
        return copied.isEmpty ? state.pool : copied
    }

    /// Whether `path` can be opened; a share that does not answer within two seconds counts as
    /// away (the thread asking it may stay stuck; nothing waits for it).
    static func reachable(_ path: String) async -> Bool {
        let answer = NIOLockedValueBox<Bool?>(nil)
        Task.detached {
            let readable = await runBlocking { FileManager.default.isReadableFile(atPath: path) }
            answer.withLockedValue { $0 = readable }
        }
        for _ in 0..<20 {
            if let known = answer.withLockedValue({ $0 }) { return known }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return false
    }
}

import CadenzaPlayout
import Foundation
import NIOConcurrencyHelpers

/// Loudness and silent ends: each item is trimmed and brought to the station's target as it is
/// queued, from the analysis job's findings (kept in memory, so a database outage changes nothing
/// for what was read before; what was never analysed airs as it is).
extension StationPlayout {
    func withLoudness(_ items: [PlayoutItem]) async -> [PlayoutItem] {
        let ids = items.compactMap { Int64($0.id) }
        guard !ids.isEmpty else { return items }
        if let found = try? await TrackLoudness.usable(trackIDs: ids, on: db) {
            state.withLockedValue { state in
                // Bounded: a station running for months meets every track of a large library.
                if state.loudness.count > 5_000 { state.loudness.removeAll() }
                state.loudness.merge(found) { $1 }
            }
        }
        let (known, target) = (state.withLockedValue { $0.loudness }, station.targetLUFS)
        return items.map { item in Int64(item.id).map { item.applying(known[$0], targetLUFS: target) } ?? item }
    }
}

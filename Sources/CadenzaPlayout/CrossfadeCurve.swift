import Foundation

/// How one item's level falls and the next one's rises through a crossfade, as DJ mixers offer.
public enum CrossfadeCurve: String, Sendable, Codable, CaseIterable {
    /// The two gains' squares sum to 1: the loudness holds through the fade (uncorrelated music).
    case equalPower
    /// The gains sum to 1: a dip of 3 dB mid-fade between unrelated songs, none between two takes
    /// of the same sound.
    case linear
    /// Slow at both ends, quick in the middle: each song stays near full level longer.
    case sCurve

    /// The outgoing and incoming items' gains at `progress` (0 to 1) through the fade.
    public func gains(_ progress: Double) -> (out: Double, in: Double) {
        let p = max(0, min(1, progress))
        switch self {
        case .equalPower: return (cos(p * .pi / 2), sin(p * .pi / 2))
        case .linear: return (1 - p, p)
        case .sCurve:
            let s = p * p * (3 - 2 * p)
            return (1 - s, s)
        }
    }
}

import Foundation
import NIOConcurrencyHelpers

/// Who listens over HLS. There is no connection to count: a player asks for the live playlist
/// every segment or so, so a listener is a (client address, player) pair that asked within the
/// last `window` seconds. Segments are left out: a proxy may cache them, the playlist it may not.
final class HLSAudience: Sendable {
    static let window: TimeInterval = 15
    /// A bound on what one station remembers, whoever asks.
    static let maxClients = 20_000

    private struct State {
        var lastSeen: [String: (agent: String, at: TimeInterval)] = [:]
        var samplePeak = 0
    }

    private let state = NIOLockedValueBox(State())

    func seen(client: String, agent: String, now: TimeInterval = Date().timeIntervalSince1970) {
        let agent = String(agent.prefix(200))
        state.withLockedValue { state in
            if state.lastSeen.count >= Self.maxClients, state.lastSeen[client + "\n" + agent] == nil { Self.prune(&state, now: now) }
            guard state.lastSeen.count < Self.maxClients else { return }
            state.lastSeen[client + "\n" + agent] = (agent, now)
            state.samplePeak = max(state.samplePeak, state.lastSeen.count)
        }
    }

    /// Listeners now, and the most at once since the last call (for periodic samples).
    func sample(now: TimeInterval = Date().timeIntervalSince1970) -> (listeners: Int, peak: Int) {
        state.withLockedValue { state in
            Self.prune(&state, now: now)
            defer { state.samplePeak = state.lastSeen.count }
            return (state.lastSeen.count, max(state.samplePeak, state.lastSeen.count))
        }
    }

    var listenerCount: Int {
        state.withLockedValue { state in
            Self.prune(&state, now: Date().timeIntervalSince1970)
            return state.lastSeen.count
        }
    }

    /// How many listeners use each player (their User-Agent).
    func userAgents() -> [(agent: String, listeners: Int)] {
        state.withLockedValue { state in
            Self.prune(&state, now: Date().timeIntervalSince1970)
            return Dictionary(grouping: state.lastSeen.values, by: \.agent).map { ($0.key, $0.value.count) }
        }
    }

    private static func prune(_ state: inout State, now: TimeInterval) {
        state.lastSeen = state.lastSeen.filter { now - $0.value.at <= window }
    }
}

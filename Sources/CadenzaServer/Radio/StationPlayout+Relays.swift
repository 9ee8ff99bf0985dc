import Foundation
import NIOConcurrencyHelpers

extension StationPlayout {
    /// How each relay is doing now.
    func relayStatuses() -> [RelayStatus] { relays.map(\.status) }

    /// Each second: the relays' statuses go to the database when one changed, and with every
    /// listener sample (another process reads them only while they are that fresh). One write at
    /// most waits for the database (not in the state file: a restarted playout says its own).
    func noteRelays() {
        let now = Date()
        let statuses = relayStatuses()
        state.withLockedValue { state in
            guard statuses != state.relaysNoted.statuses || now.timeIntervalSince(state.relaysNoted.at) >= statsInterval else { return }
            // A station that stopped relaying writes once more, so its old rows go.
            guard !statuses.isEmpty || !state.relaysNoted.statuses.isEmpty || state.relaysNoted.at == .distantPast else { return }
            state.relaysNoted = (statuses, now)
            state.pendingRelays = .init(at: Clock.nowMillis(), relays: statuses)
        }
    }
}

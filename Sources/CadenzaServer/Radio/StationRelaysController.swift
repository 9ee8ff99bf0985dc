import Foundation
import Vapor

/// How a station's relays are doing, for its owner and administrators (who see where it relays).
enum StationRelaysController {
    struct RelayDTO: Content {
        /// The relay's URL without its password, as in the station's `pushUrls`.
        var url: String
        /// nil when not known: the station is not on air, or its playout has not said lately.
        var connected: Bool?
        /// Since when it has been connected, or not.
        var since: Date?
        /// Why the last try failed, while not connected.
        var error: String?
    }

    @Sendable static func list(req: Request) async throws -> [RelayDTO] {
        let station = try await StationsController.owned(req)
        let targets = PushTarget.list(stored: try station.pushURLSealed.flatMap { try req.application.secretBox.open($0) })
        guard !targets.isEmpty else { return [] }
        let statuses: [String: RelayStatus]
        if let playout = try await req.application.cadenza.state(RadioStations.self).playout(slug: station.slug) {
            statuses = Dictionary(playout.relayStatuses().map { ($0.relay, $0) }, uniquingKeysWith: { first, _ in first })
        } else if try await Leases.holder(RadioStations.leaseKey(station), on: req.sql) != nil {
            // Refreshed with every listener sample: older than two of them, its playout has stopped saying.
            let interval = try req.application.settings.radio.statsInterval
            statuses = try await RelayStatuses.read(stationID: station.id, since: Clock.nowMillis() - Int64(interval * 2_000) - 5_000, on: req.sql)
        } else {
            statuses = [:]
        }
        return targets.map { target in
            let status = statuses[target.redacted]
            return RelayDTO(
                url: target.redacted, connected: status?.connected, since: status.map { Date(timeIntervalSince1970: Double($0.since) / 1000) },
                error: status?.error)
        }
    }
}

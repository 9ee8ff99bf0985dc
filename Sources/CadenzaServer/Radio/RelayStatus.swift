import Foundation
import SQLKit

/// How one of a station's relays is doing, as its playout sees it: connected since when, or not
/// since when and why the last try failed.
struct RelayStatus: Sendable, Codable, Equatable {
    /// The relay's URL without its password.
    var relay: String
    var connected: Bool
    /// Wall-clock milliseconds.
    var since: Int64
    var error: String?
}

/// `station_relay_status`: written by the playout when a relay's state changes and with each
/// listener sample, so a station aired by another process shows its relays too. A row not
/// refreshed for two samples says nothing any more (that playout stopped or lost the database).
enum RelayStatuses {
    struct Sample: Sendable, Codable {
        var at: Int64
        var relays: [RelayStatus]
    }

    static func write(_ sample: Sample, stationID: Int64, on db: any SQLDatabase) async throws {
        if !sample.relays.isEmpty {
            _ = try await db.insertRows(
                into: "station_relay_status (station_id, relay, connected, since, error, checked_at)",
                rows: sample.relays.map { status in
                    [
                        SQLBind(stationID), SQLBind(status.relay), SQLBind(status.connected), SQLBind(status.since), SQLBind(status.error),
                        SQLBind(sample.at),
                    ]
                },
                suffix: """
                    ON CONFLICT (station_id, relay) DO UPDATE SET connected = excluded.connected, since = excluded.since,
                      error = excluded.error, checked_at = excluded.checked_at
                    """)
        }
        // Relays the station no longer has.
        var delete = db.delete(from: "station_relay_status").where("station_id", .equal, stationID)
        if !sample.relays.isEmpty { delete = delete.where("relay", .notIn, sample.relays.map(\.relay)) }
        try await delete.run()
    }

    /// The statuses written since `since`, by relay.
    static func read(stationID: Int64, since: Int64, on db: any SQLDatabase) async throws -> [String: RelayStatus] {
        let rows = try await db.raw(
            """
            SELECT relay, connected, since, error FROM station_relay_status WHERE station_id = \(bind: stationID) AND checked_at >= \(bind: since)
            """
        ).all()
        var statuses: [String: RelayStatus] = [:]
        for row in rows {
            let status = RelayStatus(
                relay: try row.decode(column: "relay", as: String.self), connected: try row.decode(column: "connected", as: Bool.self),
                since: try row.decode(column: "since", as: Int64.self), error: try row.decode(column: "error", as: String?.self))
            statuses[status.relay] = status
        }
        return statuses
    }
}

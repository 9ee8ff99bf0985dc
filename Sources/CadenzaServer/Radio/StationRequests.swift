import Foundation
import SQLKit

/// Skips and "play next"s for a station another process airs (a `cadenza playout` process, or
/// another node): written by the API, taken off the table by the lease holder's next claim round
/// (within half a second) and applied to its own queue. A request nobody took within
/// `lifetime` is dropped rather than applied late. A skip names the track the manager saw on
/// air (when it was one), so that a skip taken a moment late never ends the next one.
enum StationRequests {
    enum Kind: String {
        case skip
        case next
    }

    struct Pending {
        var stationID: Int64
        var kind: Kind
        /// next: the track to air; skip: the track to end (nil: whatever airs).
        var trackID: Int64?
    }

    static let lifetime: Int64 = 30_000

    static func add(stationID: Int64, kind: Kind, trackID: Int64? = nil, on db: any SQLDatabase) async throws {
        try await db.raw(
            """
            INSERT INTO station_requests (station_id, kind, track_id, requested_at)
            VALUES (\(bind: stationID), \(bind: kind.rawValue), \(bind: trackID), \(bind: Clock.nowMillis()))
            """
        ).run()
    }

    /// Takes every request for `stationIDs` in one statement (a request is taken once, by one
    /// process), oldest first; those past their lifetime are removed and not returned.
    static func take(stationIDs: [Int64], on db: any SQLDatabase) async throws -> [Pending] {
        guard !stationIDs.isEmpty else { return [] }
        let ids = SQLList(stationIDs.map { SQLBind($0) })
        // Read first: an empty table (nearly always) costs no write.
        guard try await db.raw("SELECT 1 AS one FROM station_requests WHERE station_id IN (\(ids)) LIMIT 1").first() != nil else { return [] }
        let rows = try await db.raw(
            """
            DELETE FROM station_requests WHERE station_id IN (\(ids))
            RETURNING id, station_id, kind, track_id, requested_at
            """
        ).all()
        let oldest = Clock.nowMillis() - lifetime
        return try rows.compactMap { row -> (Int64, Pending)? in
            guard try row.decode(column: "requested_at", as: Int64.self) >= oldest,
                let kind = Kind(rawValue: try row.decode(column: "kind", as: String.self))
            else { return nil }
            let pending = Pending(
                stationID: try row.decode(column: "station_id", as: Int64.self), kind: kind,
                trackID: try row.decode(column: "track_id", as: Int64?.self))
            return (try row.decode(column: "id", as: Int64.self), pending)
        }.sorted { $0.0 < $1.0 }.map(\.1)
    }
}

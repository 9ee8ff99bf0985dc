import Foundation
import SQLKit

/// "A show starts in ten minutes": each minute, the shows whose occurrence begins within the
/// next ten minutes and was not yet announced become `station.show_starting` events (about the
/// station, owned by its hosts), so listeners who follow the station and the hosts are told.
enum ShowReminders {
    static let jobKind = "radio.show-reminders"
    static let periodic = PeriodicTask(name: "radio-show-reminders", interval: 60, kind: jobKind)
    static let leadMillis: Int64 = 10 * 60_000
    static let stateKey = "radio.show_reminders_until"

    struct Starting: Codable, Sendable {
        var slug: String
        var station: String
        var showId: String
        var title: String
        var hostIds: [Int64]
        var startsAt: Int64
    }

    static func register(on jobs: JobRegistry) {
        jobs.register(jobKind) { context in
            try await context.database.writeTransaction { tx in
                try await announce(now: Clock.nowMillis(), on: tx.sql)
                // A lost lease (another worker runs it now) rolls the announcements back.
                guard try await context.complete(on: tx.sql) else { throw CancellationError() }
            }
        }
    }

    /// Announces each occurrence starting within `leadMillis` of `now` once: the ones announced
    /// and not yet begun are kept under `stateKey` (a show added five minutes before it starts is
    /// still announced; one already told of is not told again).
    static func announce(now: Int64, on db: any SQLDatabase) async throws {
        let told = Set(
            (try await db.raw("SELECT value FROM server_state WHERE key = \(bind: stateKey)").first()?
                .decode(column: "value", as: String.self))
                .flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) } ?? [])
        let rows = try await db.raw(
            """
            SELECT DISTINCT station_id, show_id, occurrence_start FROM station_schedule
            WHERE occurrence_start > \(bind: now) AND occurrence_start <= \(bind: now + leadMillis) ORDER BY occurrence_start
            """
        ).all()
        var keep: [String] = []
        for row in rows.prefix(500) {
            let stationID = try row.decode(column: "station_id", as: Int64.self)
            let showID = try row.decode(column: "show_id", as: Int64.self)
            let start = try row.decode(column: "occurrence_start", as: Int64.self)
            let key = "\(showID):\(start)"
            keep.append(key)
            guard !told.contains(key),
                let station = try await db.raw("SELECT * FROM stations WHERE id = \(bind: stationID)").first().map(StationRecord.init(row:)),
                let show = try await Shows.find(id: showID, stationID: stationID, on: db)
            else { continue }
            var hostIDs: [Int64] = []
            for name in show.hosts.prefix(20) {
                if let id = try await db.raw("SELECT id FROM users WHERE username = \(bind: name)").first()?.decode(column: "id", as: Int64.self) {
                    hostIDs.append(id)
                }
            }
            try await EventStore.append(
                RadioEvents.showStarting,
                payload: Starting(
                    slug: station.slug, station: station.name, showId: String(showID), title: show.title, hostIds: hostIDs, startsAt: start),
                actorID: nil, subjectID: station.slug, audienceUserID: station.visibility == .private ? station.ownerID : nil,
                visibility: RadioEvents.visibility(of: station), on: db)
        }
        guard Set(keep) != told else { return }
        try await db.raw(
            """
            INSERT INTO server_state (key, value, updated_at) VALUES (\(bind: stateKey), \(bind: try JSONValue.text(keep)), \(bind: now))
            ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
            """
        ).run()
    }
}

import Foundation
import SQLKit

/// A station's shows (`station_shows`) and their single-occurrence changes; written only here.
struct ShowRecord: Sendable {
    var id: Int64
    var stationID: Int64
    var title: String
    var hosts: [String]
    var description: String
    var playlistID: Int64?
    var rule: ShowRule
    /// Airs at each occurrence's start, before the content.
    var introTrackID: Int64? = nil
    /// Airs so that it ends at each occurrence's end; the content is cut where it begins.
    var outroTrackID: Int64? = nil
    /// The show's own picture (set apart: ``Shows/setArtwork(_:showID:on:)``).
    var artwork: RadioArtwork? = nil
}

/// One occurrence cancelled, moved, or given other content.
struct ShowException: Sendable, Equatable {
    var day: Int64
    var cancelled: Bool
    var movedDay: Int64?
    var movedSecond: Int?
    var playlistID: Int64?
}

/// An occurrence as the calendar and the scheduler see it, exceptions applied.
struct PlannedOccurrence: Sendable {
    var show: ShowRecord
    /// The local date the rule gave it (its key for exceptions), even when moved.
    var day: Int64
    var start: Int64
    var end: Int64
    var playlistID: Int64?
    var cancelled: Bool
    var moved: Bool
}

enum Shows {
    static func all(stationID: Int64, on db: any SQLDatabase) async throws -> [ShowRecord] {
        try await db.raw(
            """
            SELECT id, station_id, title, hosts, description, playlist_id, intro_track_id, outro_track_id, start_day, start_second, duration_minutes, frequency,
                   repeat_every, weekdays, monthly_by, until_day, artwork_hash, artwork_mime
            FROM station_shows WHERE station_id = \(bind: stationID) ORDER BY start_day, start_second, id
            """
        ).all().map(record)
    }

    static func find(id: Int64, stationID: Int64, on db: any SQLDatabase) async throws -> ShowRecord? {
        try await all(stationID: stationID, on: db).first { $0.id == id }
    }

    private static func record(_ row: any SQLRow) throws -> ShowRecord {
        let hosts = try row.decode(column: "hosts", as: String.self)
        let weekdays = try row.decode(column: "weekdays", as: String.self)
        return ShowRecord(
            id: try row.decode(column: "id", as: Int64.self), stationID: try row.decode(column: "station_id", as: Int64.self),
            title: try row.decode(column: "title", as: String.self),
            hosts: hosts.split(separator: "\n").map(String.init), description: try row.decode(column: "description", as: String.self),
            playlistID: try row.decode(column: "playlist_id", as: Int64?.self),
            rule: ShowRule(
                startDay: try row.decode(column: "start_day", as: Int64.self), startSecond: try row.decode(column: "start_second", as: Int.self),
                durationMinutes: try row.decode(column: "duration_minutes", as: Int.self),
                frequency: ShowRule.Frequency(rawValue: try row.decode(column: "frequency", as: String.self)) ?? .once,
                interval: try row.decode(column: "repeat_every", as: Int.self),
                weekdays: weekdays.split(separator: ",").compactMap { Int($0) },
                monthlyBy: ShowRule.MonthlyBy(rawValue: try row.decode(column: "monthly_by", as: String.self)) ?? .date,
                untilDay: try row.decode(column: "until_day", as: Int64?.self)),
            introTrackID: try row.decode(column: "intro_track_id", as: Int64?.self),
            outroTrackID: try row.decode(column: "outro_track_id", as: Int64?.self), artwork: try RadioArtwork(row: row))
    }

    static func insert(_ show: ShowRecord, on db: any SQLDatabase) async throws -> Int64 {
        let now = Clock.nowMillis()
        let rule = show.rule
        let row = try await db.raw(
            """
            INSERT INTO station_shows (station_id, title, hosts, description, playlist_id, intro_track_id, outro_track_id, start_day,
                start_second, duration_minutes, frequency, repeat_every, weekdays, monthly_by, until_day, created_at, updated_at)
            VALUES (\(bind: show.stationID), \(bind: show.title), \(bind: show.hosts.joined(separator: "\n")), \(bind: show.description),
                \(bind: show.playlistID), \(bind: show.introTrackID), \(bind: show.outroTrackID), \(bind: rule.startDay), \(bind: rule.startSecond), \(bind: rule.durationMinutes),
                \(bind: rule.frequency.rawValue), \(bind: rule.interval), \(bind: rule.weekdays.map(String.init).joined(separator: ",")),
                \(bind: rule.monthlyBy.rawValue), \(bind: rule.untilDay), \(bind: now), \(bind: now))
            RETURNING id
            """
        ).first()
        guard let id = try row?.decode(column: "id", as: Int64.self) else { throw APIError.conflict("The show was not created.") }
        return id
    }

    static func update(_ show: ShowRecord, on db: any SQLDatabase) async throws {
        let rule = show.rule
        try await db.raw(
            """
            UPDATE station_shows SET title = \(bind: show.title), hosts = \(bind: show.hosts.joined(separator: "\n")),
                description = \(bind: show.description), playlist_id = \(bind: show.playlistID),
                intro_track_id = \(bind: show.introTrackID), outro_track_id = \(bind: show.outroTrackID), start_day = \(bind: rule.startDay),
                start_second = \(bind: rule.startSecond), duration_minutes = \(bind: rule.durationMinutes),
                frequency = \(bind: rule.frequency.rawValue), repeat_every = \(bind: rule.interval),
                weekdays = \(bind: rule.weekdays.map(String.init).joined(separator: ",")), monthly_by = \(bind: rule.monthlyBy.rawValue),
                until_day = \(bind: rule.untilDay), updated_at = \(bind: Clock.nowMillis())
            WHERE id = \(bind: show.id)
            """
        ).run()
    }

    /// Sets (or with nil removes) the show's picture.
    static func setArtwork(_ artwork: RadioArtwork?, showID: Int64, on db: any SQLDatabase) async throws {
        try await db.raw(
            """
            UPDATE station_shows SET artwork_hash = \(bind: artwork?.hash), artwork_mime = \(bind: artwork?.mime), updated_at = \(bind: Clock.nowMillis())
            WHERE id = \(bind: showID)
            """
        ).run()
    }

    static func delete(_ id: Int64, on db: any SQLDatabase) async throws {
        try await db.raw("DELETE FROM station_schedule WHERE show_id = \(bind: id)").run()
        try await db.raw("DELETE FROM station_show_exceptions WHERE show_id = \(bind: id)").run()
        try await db.raw("DELETE FROM station_shows WHERE id = \(bind: id)").run()
    }

    static func exceptions(stationID: Int64, on db: any SQLDatabase) async throws -> [Int64: [Int64: ShowException]] {
        let rows = try await db.raw(
            """
            SELECT x.show_id, x.day, x.cancelled, x.moved_day, x.moved_second, x.playlist_id
            FROM station_show_exceptions x JOIN station_shows s ON s.id = x.show_id WHERE s.station_id = \(bind: stationID)
            """
        ).all()
        var result: [Int64: [Int64: ShowException]] = [:]
        for row in rows {
            let exception = ShowException(
                day: try row.decode(column: "day", as: Int64.self), cancelled: try row.decode(column: "cancelled", as: Bool.self),
                movedDay: try row.decode(column: "moved_day", as: Int64?.self), movedSecond: try row.decode(column: "moved_second", as: Int?.self),
                playlistID: try row.decode(column: "playlist_id", as: Int64?.self))
            result[try row.decode(column: "show_id", as: Int64.self), default: [:]][exception.day] = exception
        }
        return result
    }

    static func setException(showID: Int64, _ exception: ShowException, on db: any SQLDatabase) async throws {
        try await db.raw("DELETE FROM station_show_exceptions WHERE show_id = \(bind: showID) AND day = \(bind: exception.day)").run()
        try await db.raw(
            """
            INSERT INTO station_show_exceptions (show_id, day, cancelled, moved_day, moved_second, playlist_id)
            VALUES (\(bind: showID), \(bind: exception.day), \(bind: exception.cancelled), \(bind: exception.movedDay),
                    \(bind: exception.movedSecond), \(bind: exception.playlistID))
            """
        ).run()
    }

    static func removeException(showID: Int64, day: Int64, on db: any SQLDatabase) async throws {
        try await db.raw("DELETE FROM station_show_exceptions WHERE show_id = \(bind: showID) AND day = \(bind: day)").run()
    }

    /// Every occurrence of `shows` overlapping [from, to), exceptions applied (cancelled ones
    /// included and marked: the calendar shows them struck out), ordered by start.
    static func plan(
        _ shows: [ShowRecord], exceptions: [Int64: [Int64: ShowException]], from: Int64, to: Int64, zone: TimeZone
    ) -> [PlannedOccurrence] {
        var result: [PlannedOccurrence] = []
        for show in shows {
            let changes = exceptions[show.id] ?? [:]
            // A moved occurrence may come from outside the range: widen by what a move may span
            // (a month), for the shows that have one.
            let margin: Int64 = changes.values.contains { $0.movedDay != nil } ? 40 * 86_400_000 : 0
            for occurrence in show.rule.occurrences(from: from - margin, to: to + margin, zone: zone) {
                var planned = PlannedOccurrence(
                    show: show, day: occurrence.day, start: occurrence.start, end: occurrence.end, playlistID: show.playlistID,
                    cancelled: false, moved: false)
                if let change = changes[occurrence.day] {
                    planned.cancelled = change.cancelled
                    planned.playlistID = change.playlistID ?? show.playlistID
                    if let day = change.movedDay, let second = change.movedSecond {
                        let moved = ShowRule.occurrence(day: day, second: second, minutes: show.rule.durationMinutes, zone: zone)
                        planned.start = moved.start
                        planned.end = moved.end
                        planned.moved = true
                    }
                }
                if planned.end > from && planned.start < to { result.append(planned) }
            }
        }
        return result.sorted { ($0.start, $0.show.id) < ($1.start, $1.show.id) }
    }

    /// The first two occurrences that air at the same time, if any (with `involving`, only
    /// pairs where one is that show's: an old clash elsewhere does not block an unrelated edit).
    static func firstOverlap(_ occurrences: [PlannedOccurrence], involving showID: Int64? = nil) -> (PlannedOccurrence, PlannedOccurrence)? {
        let airing = occurrences.filter { !$0.cancelled }
        let mine = airing.filter { showID == nil || $0.show.id == showID }.sorted { $0.start < $1.start }
        let others = airing.filter { showID != nil && $0.show.id != showID }.sorted { $0.start < $1.start }
        guard showID != nil else {
            var latest: PlannedOccurrence?
            for occurrence in mine {
                if let previous = latest, previous.end > occurrence.start { return (previous, occurrence) }
                if occurrence.end > (latest?.end ?? Int64.min) { latest = occurrence }
            }
            return nil
        }
        // Each of mine against the others that start before it ends: the furthest-reaching of
        // those (a running maximum) decides whether any is still on when it starts.
        var reach: [Int64] = []
        reach.reserveCapacity(others.count)
        for occurrence in others { reach.append(max(reach.last ?? Int64.min, occurrence.end)) }
        for occurrence in mine {
            var low = 0, high = others.count
            while low < high {
                let middle = (low + high) / 2
                if others[middle].start < occurrence.end { low = middle + 1 } else { high = middle }
            }
            guard low > 0, reach[low - 1] > occurrence.start else { continue }
            var index = low - 1
            while index > 0 && others[index].end <= occurrence.start { index -= 1 }
            return others[index].start < occurrence.start ? (others[index], occurrence) : (occurrence, others[index])
        }
        return nil
    }
}

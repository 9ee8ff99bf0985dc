import Fluent
import Foundation
import SQLKit
import Vapor

/// `/api/v1/stations/{slug}/shows` and `/schedule`: a station's shows, single-occurrence
/// changes, and the calendar. Managers change them; whoever may hear the station reads the calendar.
enum ShowsController {
    struct Change: Decodable {
        var title: String?
        var hosts: [String]?
        var description: String?
        /// "" clears it (the show airs the rotation).
        var playlistId: String?
        /// Tracks of the libraries the station plays; "" clears them.
        var introTrackId: String?
        var outroTrackId: String?
        var startDate: String?
        var startTime: String?
        var durationMinutes: Int?
        var `repeat`: ShowRule.Frequency?
        var every: Int?
        var weekdays: [String]?
        var monthlyBy: ShowRule.MonthlyBy?
        /// "" clears it.
        var until: String?
    }

    struct OccurrenceChange: Decodable {
        var cancelled: Bool?
        var startDate: String?
        var startTime: String?
        var playlistId: String?
    }

    static let maxShows = 200

    @Sendable static func list(req: Request) async throws -> [ShowDTO] {
        let station = try await StationsController.station(req, viewer: req.auth.get(Principal.self))
        return try await Shows.all(stationID: station.id, on: req.sql).map { ShowDTO($0, slug: station.slug) }
    }

    @Sendable static func get(req: Request) async throws -> ShowDTO {
        let station = try await StationsController.station(req, viewer: req.auth.get(Principal.self))
        return ShowDTO(try await show(req, station: station), slug: station.slug)
    }

    static func show(_ req: Request, station: StationRecord) async throws -> ShowRecord {
        let id = try req.int64Parameter("id", what: "Show")
        guard let show = try await Shows.find(id: id, stationID: station.id, on: req.sql) else { throw APIError.notFound("Show") }
        return show
    }

    @Sendable static func create(req: Request) async throws -> Response {
        let station = try await StationsController.managed(req)
        let change = try await req.decodeJSON(Change.self)
        guard try await Shows.all(stationID: station.id, on: req.sql).count < maxShows else {
            throw APIError.conflict("A station has at most \(maxShows) shows.")
        }
        guard change.title != nil, change.startDate != nil, change.startTime != nil, change.durationMinutes != nil else {
            throw APIError.unprocessable("title, startDate, startTime and durationMinutes are required.")
        }
        let show = try await validated(
            change,
            over: ShowRecord(
                id: 0, stationID: station.id, title: "", hosts: [], description: "", playlistID: nil,
                rule: ShowRule(startDay: 0, startSecond: 0, durationMinutes: 60, frequency: .once, interval: 1, weekdays: [], monthlyBy: .date)),
            station: station, req: req)
        let saved = try await req.db.writeTransaction { tx -> ShowRecord in
            try await refuseOverlap(show, station: station, on: tx.sql)
            var saved = show
            saved.id = try await Shows.insert(show, on: tx.sql)
            try await changed(station, actor: try req.requireUser(), on: tx.sql)
            return saved
        }
        return try await ShowDTO(saved, slug: station.slug).encodeResponse(status: .created, for: req)
    }

    @Sendable static func update(req: Request) async throws -> ShowDTO {
        let station = try await StationsController.managed(req)
        let current = try await show(req, station: station)
        let change = try await req.decodeJSON(Change.self)
        let show = try await validated(change, over: current, station: station, req: req)
        try await req.db.writeTransaction { tx in
            try await refuseOverlap(show, station: station, on: tx.sql)
            try await Shows.update(show, on: tx.sql)
            try await changed(station, actor: try req.requireUser(), on: tx.sql)
        }
        return ShowDTO(show, slug: station.slug)
    }

    @Sendable static func delete(req: Request) async throws -> HTTPStatus {
        let station = try await StationsController.managed(req)
        let show = try await show(req, station: station)
        try await req.db.writeTransaction { tx in
            try await Shows.delete(show.id, on: tx.sql)
            try await changed(station, actor: try req.requireUser(), on: tx.sql)
        }
        return .noContent
    }

    /// `PUT …/shows/{id}/occurrences/{date}`: cancel one airing, move it, or give it other content.
    @Sendable static func changeOccurrence(req: Request) async throws -> OccurrenceDTO {
        let station = try await StationsController.managed(req)
        let show = try await show(req, station: station)
        let zone = TimeZone(identifier: station.timeZone) ?? .gmt
        guard let day = req.parameters.get("date").flatMap(LocalText.parseDate),
            show.rule.occurrences(from: (day - 1) * 86_400_000, to: (day + 2) * 86_400_000, zone: zone).contains(where: { $0.day == day })
        else { throw APIError.notFound("Occurrence") }
        let change = try await req.decodeJSON(OccurrenceChange.self)
        var exception = ShowException(day: day, cancelled: change.cancelled ?? false)
        if change.startDate != nil || change.startTime != nil {
            guard let moved = LocalText.parseDate(change.startDate ?? LocalText.date(day)) else {
                throw APIError.unprocessable("startDate must be a date like 2027-03-14.")
            }
            guard let second = LocalText.parseTime(change.startTime ?? LocalText.time(show.rule.startSecond)) else {
                throw APIError.unprocessable("startTime must be a time like 09:30.")
            }
            guard abs(moved - day) <= 31 else { throw APIError.unprocessable("An occurrence moves by at most a month.") }
            exception.movedDay = moved
            exception.movedSecond = second
        }
        if let playlist = change.playlistId, !playlist.isEmpty {
            exception.playlistID = try await playlistID(playlist, station: station, on: req.sql)
        }
        let planned = try await req.db.writeTransaction { [exception] tx -> PlannedOccurrence? in
            var exceptions = try await Shows.exceptions(stationID: station.id, on: tx.sql)
            exceptions[show.id, default: [:]][day] = exception
            try await refuseOverlap(show, station: station, exceptions: exceptions, on: tx.sql)
            try await Shows.setException(showID: show.id, exception, on: tx.sql)
            try await changed(station, actor: try req.requireUser(), on: tx.sql)
            let margin: Int64 = 40 * 86_400_000
            return Shows.plan([show], exceptions: exceptions, from: day * 86_400_000 - margin, to: day * 86_400_000 + margin, zone: zone)
                .first { $0.day == day }
        }
        guard let planned else { throw APIError.notFound("Occurrence") }
        return OccurrenceDTO(planned, zone: zone)
    }

    /// `DELETE …/occurrences/{date}`: the occurrence airs as the show's rule says again.
    @Sendable static func restoreOccurrence(req: Request) async throws -> HTTPStatus {
        let station = try await StationsController.managed(req)
        let show = try await show(req, station: station)
        guard let day = req.parameters.get("date").flatMap(LocalText.parseDate) else { throw APIError.notFound("Occurrence") }
        try await req.db.writeTransaction { tx in
            var exceptions = try await Shows.exceptions(stationID: station.id, on: tx.sql)
            exceptions[show.id]?[day] = nil
            try await refuseOverlap(show, station: station, exceptions: exceptions, on: tx.sql)
            try await Shows.removeException(showID: show.id, day: day, on: tx.sql)
            try await changed(station, actor: try req.requireUser(), on: tx.sql)
        }
        return .noContent
    }

    /// `GET /stations/{slug}/schedule?from=2027-03-08&days=7`: the calendar, cancelled occurrences included.
    @Sendable static func schedule(req: Request) async throws -> [OccurrenceDTO] {
        let station = try await StationsController.station(req, viewer: req.auth.get(Principal.self))
        let zone = TimeZone(identifier: station.timeZone) ?? .gmt
        let days = try req.boundedQueryInt("days", default: 7, range: 1...62)
        let fromDay: Int64
        if let text = req.query[String.self, at: "from"] {
            guard let day = LocalText.parseDate(text) else { throw APIError.unprocessable("from must be a date like 2027-03-14.") }
            fromDay = day
        } else {
            fromDay = LocalCalendar(identifier: station.timeZone).day(Clock.nowMillis() / 1000)
        }
        let from = ShowRule.instant(localSeconds: fromDay * 86_400, zone: zone) * 1000
        let to = ShowRule.instant(localSeconds: (fromDay + Int64(days)) * 86_400, zone: zone) * 1000
        let shows = try await Shows.all(stationID: station.id, on: req.sql)
        let exceptions = try await Shows.exceptions(stationID: station.id, on: req.sql)
        return await runBlocking { Shows.plan(shows, exceptions: exceptions, from: from, to: to, zone: zone).map { OccurrenceDTO($0, zone: zone) } }
    }

    /// The change written with its consequences: the schedule rebuilt and the calendar told.
    static func changed(_ station: StationRecord, actor: Principal, on db: any SQLDatabase) async throws {
        try await ScheduleBuilder.enqueue(stationID: station.id, on: db)
        try await EventStore.append(
            RadioEvents.scheduleChanged, payload: .init(slug: station.slug, name: station.name), actorID: actor.userID, subjectID: station.slug,
            audienceUserID: station.ownerID, visibility: RadioEvents.visibility(of: station), on: db)
    }

    /// Two shows never air at once: the saved show's first clash is refused, named. Checked for
    /// a year from its start, and for a year from the start of each show that begins later.
    static func refuseOverlap(
        _ show: ShowRecord, station: StationRecord, exceptions given: [Int64: [Int64: ShowException]]? = nil, on db: any SQLDatabase
    ) async throws {
        let zone = TimeZone(identifier: station.timeZone) ?? .gmt
        let others = try await Shows.all(stationID: station.id, on: db).filter { $0.id != show.id }
        var exceptions = given ?? [:]
        if given == nil { exceptions = try await Shows.exceptions(stationID: station.id, on: db) }
        let year: Int64 = 366 * 86_400_000
        let from = max(Clock.nowMillis(), (show.rule.startDay - 1) * 86_400_000)
        let frozen = exceptions
        // Expanding a year of every show is CPU work: off the event loops.
        let clash = await runBlocking { () -> (PlannedOccurrence, PlannedOccurrence)? in
            if let found = Shows.firstOverlap(
                Shows.plan(others + [show], exceptions: frozen, from: from, to: from + year, zone: zone), involving: show.id)
            {
                return found
            }
            for later in others where (later.rule.startDay - 1) * 86_400_000 > from + year - 86_400_000 {
                let start = (later.rule.startDay - 1) * 86_400_000
                let plan = Shows.plan([later, show], exceptions: frozen, from: start, to: start + year, zone: zone)
                if let found = Shows.firstOverlap(plan, involving: show.id) { return found }
            }
            return nil
        }
        guard let (first, second) = clash else { return }
        let (mine, theirs) = first.show.id == show.id ? (first, second) : (second, first)
        throw APIError.conflict(
            "“\(mine.show.title)” on \(LocalText.local(mine.start, zone: zone).replacingOccurrences(of: "T", with: " ")) overlaps "
                + "“\(theirs.show.title)” (\(LocalText.local(theirs.start, zone: zone).replacingOccurrences(of: "T", with: " ")) to "
                + "\(LocalText.local(theirs.end, zone: zone).suffix(5))).")
    }

    static func playlistID(_ raw: String, station: StationRecord, on db: any SQLDatabase) async throws -> Int64 {
        guard let id = Int64(raw), id > 0, try await RadioPlaylists.find(id: id, stationID: station.id, on: db) != nil else {
            throw APIError.unprocessable("playlistId must name one of this station's playlists.")
        }
        return id
    }

    /// A track the station may air (of the libraries its owner may see), by its id as the API gives it.
    static func airableTrackID(_ raw: String, field: String, station: StationRecord, on db: any Database) async throws -> Int64 {
        let libraries = try await AutoDJ.libraries(for: station, on: db)
        guard let id = Int64(raw), id > 0, try await CatalogQueries.airableTrack(id: id, libraries: libraries, on: db.sql) != nil else {
            throw APIError.unprocessable("\(field) must name a track of the libraries this station plays.")
        }
        return id
    }

    static func validated(_ change: Change, over current: ShowRecord, station: StationRecord, req: Request) async throws -> ShowRecord {
        var show = current
        if let title = change.title {
            let trimmed = title.trimmingCharacters(in: .whitespacesAndNewlines)
            guard (1...200).contains(trimmed.count) else { throw APIError.unprocessable("title must be 1 to 200 characters.") }
            show.title = trimmed
        }
        if let hosts = change.hosts {
            let trimmed = hosts.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
            guard trimmed.count <= 10, trimmed.allSatisfy({ $0.count <= 100 && !$0.contains("\n") }) else {
                throw APIError.unprocessable("hosts are at most 10 names of at most 100 characters.")
            }
            show.hosts = trimmed
        }
        if let description = change.description {
            guard description.count <= 2_000 else { throw APIError.unprocessable("description must be at most 2000 characters.") }
            show.description = description
        }
        if let playlist = change.playlistId {
            show.playlistID = playlist.isEmpty ? nil : try await playlistID(playlist, station: station, on: req.sql)
        }
        if let intro = change.introTrackId {
            show.introTrackID = intro.isEmpty ? nil : try await airableTrackID(intro, field: "introTrackId", station: station, on: req.db)
        }
        if let outro = change.outroTrackId {
            show.outroTrackID = outro.isEmpty ? nil : try await airableTrackID(outro, field: "outroTrackId", station: station, on: req.db)
        }
        if let date = change.startDate {
            guard let day = LocalText.parseDate(date) else { throw APIError.unprocessable("startDate must be a date like 2027-03-14.") }
            show.rule.startDay = day
        }
        if let time = change.startTime {
            guard let second = LocalText.parseTime(time) else { throw APIError.unprocessable("startTime must be a time like 09:30.") }
            show.rule.startSecond = second
        }
        if let minutes = change.durationMinutes {
            guard (1...ShowRule.maxDurationMinutes).contains(minutes) else {
                throw APIError.unprocessable("durationMinutes must be 1 to \(ShowRule.maxDurationMinutes).")
            }
            show.rule.durationMinutes = minutes
        }
        if let frequency = change.repeat { show.rule.frequency = frequency }
        if let every = change.every {
            guard (1...12).contains(every) else { throw APIError.unprocessable("every must be 1 to 12.") }
            show.rule.interval = every
        }
        if let weekdays = change.weekdays {
            let numbers = weekdays.compactMap { LocalText.weekdays.firstIndex(of: $0.lowercased()) }
            guard numbers.count == weekdays.count, weekdays.count <= 7 else {
                throw APIError.unprocessable("weekdays are names among mon, tue, wed, thu, fri, sat, sun.")
            }
            show.rule.weekdays = Array(Set(numbers)).sorted()
        }
        if let monthlyBy = change.monthlyBy { show.rule.monthlyBy = monthlyBy }
        if let until = change.until {
            if until.isEmpty {
                show.rule.untilDay = nil
            } else {
                guard let day = LocalText.parseDate(until) else { throw APIError.unprocessable("until must be a date like 2027-03-14.") }
                show.rule.untilDay = day
            }
        }
        if let until = show.rule.untilDay, until < show.rule.startDay {
            throw APIError.unprocessable("until must not be before startDate.")
        }
        return show
    }
}

import CadenzaPlayout
import Fluent
import Foundation
import SQLKit
import Vapor

/// `/api/v1/stations`: create, list, change and delete stations; what is playing; the as-run log.
enum StationsController {
    struct Change: Content {
        var slug: String?
        var name: String?
        var description: String?
        var timeZone: String?
        var visibility: StationRecord.Visibility?
        var outputs: [StationOutput]?
        var crossfadeMs: Int?
        var crossfadeCurve: CrossfadeCurve?
        var maxListeners: Int?
        /// kb/s for every output: one of `Encoder.Bitrate.allowed` (default 128).
        var bitrate: Int?
        /// The servers to relay to (`PushTarget`); [] stops relaying. Administrators only.
        var pushUrls: [String]?
        /// One relay ("" for none): what `pushUrls` was before there could be several.
        var pushUrl: String?
        var trackGapMinutes: Int?
        var artistGapMinutes: Int?
        /// One of the station's playlists; "" for none.
        var jinglePlaylistId: String?
        var jingleEvery: Int?
        /// 0–59: a station ID once an hour after that minute; -1 turns it off.
        var jingleMinute: Int?
        var recordLive: Bool?
        /// A track of the libraries the station plays from, looped when nothing else can air; "" for the tone.
        var fallbackTrackId: String?
        /// The loudness target in LUFS (-30 to -10); `normalize: false` airs files as they are.
        var targetLufs: Int?
        var normalize: Bool?
    }

    /// The station named in the path, if `viewer` may hear it (others get 404: a private
    /// station's name is not revealed).
    static func station(_ req: Request, viewer: Principal?) async throws -> StationRecord {
        guard let slug = req.parameters.get("slug"), Stations.validSlug(slug),
            let station = try await Stations.find(slug: slug, on: req.sql), try await Stations.canListen(station, viewer, on: req.sql)
        else { throw APIError.notFound("Station") }
        return station
    }

    /// The station in the path, if the caller may change it (its owner, a manager, an administrator).
    static func managed(_ req: Request) async throws -> StationRecord {
        let viewer = try req.requireUser()
        let station = try await station(req, viewer: viewer)
        guard try await Stations.canManage(station, viewer, on: req.sql) else {
            throw APIError.forbidden("Only the station's owner, its managers or an administrator may change it.")
        }
        return station
    }

    /// The station in the path, if the caller may delete it or name its managers.
    static func owned(_ req: Request) async throws -> StationRecord {
        let viewer = try req.requireUser()
        let station = try await station(req, viewer: viewer)
        guard station.isOwnerOrAdmin(viewer) else { throw APIError.forbidden("Only the station's owner or an administrator may do this.") }
        return station
    }

    @Sendable static func list(req: Request) async throws -> [StationDTO] {
        try await Stations.listed(to: try req.requireUser(), on: req.sql).map { StationDTO($0) }
    }

    @Sendable static func show(req: Request) async throws -> StationDTO {
        let viewer = req.auth.get(Principal.self)
        return try await dto(try await station(req, viewer: viewer), viewer: viewer, app: req.application, on: req.sql)
    }

    /// The station as the API shows it, with whether the caller may change it; its owner also sees
    /// where it relays to (without the passwords).
    static func dto(_ station: StationRecord, viewer: Principal?, app: Application, on db: any SQLDatabase) async throws -> StationDTO {
        var dto = StationDTO(station)
        guard let viewer else { return dto }
        dto.canManage = try await Stations.canManage(station, viewer, on: db)
        if station.isOwnerOrAdmin(viewer), let sealed = station.pushURLSealed {
            let relays = PushTarget.list(stored: try app.secretBox.open(sealed)).map(\.redacted)
            dto.pushUrls = relays
            dto.pushUrl = relays.first
        }
        return dto
    }

    /// The relays a change asks for (nil: unchanged), checked.
    static func relays(_ change: Change) throws -> [PushTarget]? {
        if let urls = change.pushUrls {
            guard change.pushUrl == nil else { throw APIError.unprocessable("Send pushUrls or pushUrl, not both.") }
            return try PushTarget.list(parsing: urls)
        }
        return try change.pushUrl.map { try PushTarget.list(parsing: $0.isEmpty ? [] : [$0]) }
    }

    /// Applies the relays of a change: checked, sealed, administrators only.
    static func applyPush(_ change: Change, to station: inout StationRecord, viewer: Principal, app: Application) throws {
        guard let relays = try Self.relays(change) else { return }
        guard viewer.isAdmin else { throw APIError.forbidden("Only administrators may relay a station to another server.") }
        station.pushURLSealed = try PushTarget.stored(relays).map { try app.secretBox.seal($0) }
    }

    @Sendable static func create(req: Request) async throws -> Response {
        let viewer = try req.requireUser()
        let change = try await req.decodeJSON(Change.self)
        guard let slug = change.slug, let name = change.name else { throw APIError.unprocessable("slug and name are required.") }
        let fields = try validated(change, slug: slug, name: name)
        // Every station is an encoder running all the time: bounded per user and per instance.
        let limits = try req.application.settings.radio
        let stations = try await Stations.all(on: req.sql)
        guard stations.count < limits.maxStations else {
            throw APIError.conflict("This server runs \(limits.maxStations) stations, its limit.")
        }
        guard viewer.isAdmin || stations.filter({ $0.ownerID == viewer.userID }).count < limits.stationsPerUser else {
            throw APIError.conflict("You have \(limits.stationsPerUser) stations, the limit for an account.")
        }
        let wanted = try Self.relays(change) ?? []
        if !wanted.isEmpty, !viewer.isAdmin {
            throw APIError.forbidden("Only administrators may relay a station to another server.")
        }
        if change.recordLive == true, !viewer.isAdmin {
            throw APIError.forbidden("Only administrators may have a station record its live sets.")
        }
        let application = req.application
        // One transaction: a setting refused after the row exists (a gap out of range, a playlist
        // that is not the station's) leaves no station behind.
        let station = try await req.db.writeTransaction { tx in
            let sql = tx.sql
            guard
                var station = try await Stations.create(
                    slug: slug, name: fields.name, description: fields.description, timeZone: fields.timeZone,
                    visibility: change.visibility ?? .public, ownerID: viewer.userID, outputs: fields.outputs, crossfadeMs: fields.crossfadeMs,
                    bitrate: fields.bitrate, on: sql)
            else { throw APIError.conflict("A station with the slug \(slug) already exists.") }
            if !wanted.isEmpty || change.trackGapMinutes != nil || change.artistGapMinutes != nil || change.jingleEvery != nil
                || change.jinglePlaylistId != nil || change.targetLufs != nil || change.normalize != nil
                || change.jingleMinute != nil || change.recordLive != nil || change.crossfadeCurve != nil || change.maxListeners != nil
                || change.fallbackTrackId != nil
            {
                station.crossfadeCurve = change.crossfadeCurve ?? station.crossfadeCurve
                station.maxListeners = try Self.listenerLimit(change) ?? station.maxListeners
                try applyPush(change, to: &station, viewer: viewer, app: application)
                try await applyRotation(change, to: &station, viewer: viewer, on: tx)
                try await Stations.update(station, on: sql)
            }
            try await EventStore.append(
                RadioEvents.created, payload: .init(slug: station.slug, name: station.name), actorID: viewer.userID, subjectID: station.slug,
                audienceUserID: viewer.userID, visibility: RadioEvents.visibility(of: station), on: sql)
            try await LoudnessJob.enqueue(on: sql)
            return station
        }
        try? await req.application.cadenza.state(RadioStations.self).reconcile(app: req.application)
        return try await dto(station, viewer: viewer, app: req.application, on: req.sql).encodeResponse(status: .created, for: req)
    }

    @Sendable static func update(req: Request) async throws -> StationDTO {
        var station = try await managed(req)
        let change = try await req.decodeJSON(Change.self)
        if let slug = change.slug, slug != station.slug {
            throw APIError.unprocessable("A station's slug cannot change (its mount URLs are out there).")
        }
        let fields = try validated(change, slug: station.slug, name: change.name ?? station.name, current: station)
        station.name = fields.name
        station.description = fields.description
        station.timeZone = fields.timeZone
        station.outputs = fields.outputs
        station.crossfadeMs = fields.crossfadeMs
        station.crossfadeCurve = change.crossfadeCurve ?? station.crossfadeCurve
        station.maxListeners = try Self.listenerLimit(change) ?? station.maxListeners
        station.bitrate = fields.bitrate
        station.visibility = change.visibility ?? station.visibility
        try await applyRotation(change, to: &station, viewer: try req.requireUser(), on: req.db)
        try applyPush(change, to: &station, viewer: try req.requireUser(), app: req.application)
        try await Stations.update(station, on: req.sql)
        try await EventStore.append(
            RadioEvents.updated, payload: .init(slug: station.slug, name: station.name), actorID: try req.requireUser().userID,
            subjectID: station.slug, audienceUserID: station.ownerID, visibility: RadioEvents.visibility(of: station), on: req.sql)
        try? await req.application.cadenza.state(RadioStations.self).reconcile(app: req.application)
        return try await dto(
            try await Stations.find(slug: station.slug, on: req.sql) ?? station, viewer: req.auth.get(Principal.self), app: req.application,
            on: req.sql)
    }

    /// The rotation's rules from a change: repeat gaps in minutes, the jingle playlist and how often.
    static func applyRotation(_ change: Change, to station: inout StationRecord, viewer: Principal, on database: any Database) async throws {
        let db = database.sql
        if let minutes = change.trackGapMinutes {
            guard (0...1_440).contains(minutes) else { throw APIError.unprocessable("trackGapMinutes must be 0 to 1440.") }
            station.trackGapMinutes = minutes
        }
        if let minutes = change.artistGapMinutes {
            guard (0...1_440).contains(minutes) else { throw APIError.unprocessable("artistGapMinutes must be 0 to 1440.") }
            station.artistGapMinutes = minutes
        }
        if let every = change.jingleEvery {
            guard (0...100).contains(every) else { throw APIError.unprocessable("jingleEvery must be 0 (none) to 100 songs.") }
            station.jingleEvery = every
        }
        if let playlist = change.jinglePlaylistId {
            station.jinglePlaylistID = playlist.isEmpty ? nil : try await ShowsController.playlistID(playlist, station: station, on: db)
        }
        if let record = change.recordLive, record != station.recordLive {
            // Recordings fill the server's disk and make a folder library: administrators decide.
            guard viewer.isAdmin else { throw APIError.forbidden("Only administrators may have a station record its live sets.") }
            station.recordLive = record
        }
        if let minute = change.jingleMinute {
            guard (-1...59).contains(minute) else { throw APIError.unprocessable("jingleMinute must be 0 to 59, or -1 for no hourly ID.") }
            station.jingleMinute = minute < 0 ? nil : minute
        }
        if let target = change.targetLufs {
            guard (-30 ... -10).contains(target) else { throw APIError.unprocessable("targetLufs must be -30 to -10 (LUFS).") }
            station.targetLUFS = target
        }
        if let normalize = change.normalize {
            station.targetLUFS = normalize ? (change.targetLufs ?? station.targetLUFS ?? -16) : nil
        }
        // Unchanged, it is not checked again: a track that left the station's libraries does not
        // block saving the rest of the form (the playout then airs the tone).
        if let fallback = change.fallbackTrackId, fallback != station.fallbackTrackID.map(String.init) ?? "" {
            station.fallbackTrackID =
                fallback.isEmpty ? nil : try await ShowsController.airableTrackID(fallback, field: "fallbackTrackId", station: station, on: database)
        }
    }

    @Sendable static func delete(req: Request) async throws -> HTTPStatus {
        let station = try await owned(req)
        try await Stations.delete(id: station.id, on: req.sql)
        try await EventStore.append(
            RadioEvents.deleted, payload: .init(slug: station.slug, name: station.name), actorID: try req.requireUser().userID,
            subjectID: station.slug, audienceUserID: station.ownerID, visibility: RadioEvents.visibility(of: station), on: req.sql)
        try? await req.application.cadenza.state(RadioStations.self).reconcile(app: req.application)
        return .noContent
    }

    /// Public stations answer without sign-in, as AzuraCast's does (players and directories poll it).
    @Sendable static func nowPlaying(req: Request) async throws -> NowPlayingDTO {
        let station = try await station(req, viewer: req.auth.get(Principal.self))
        var playing = try await nowPlaying(station, app: req.application, on: req.sql)
        playing.artworkUrl = try await StationArtwork.nowPlayingURL(station, show: playing.show, on: req.sql)
        return playing
    }

    /// What `station` airs: from its playout in this process, else what the airing process announced last.
    static func nowPlaying(_ station: StationRecord, app: Application, on db: any SQLDatabase) async throws -> NowPlayingDTO {
        guard let playout = try await app.cadenza.state(RadioStations.self).playout(slug: station.slug) else {
            if let announced = try await RadioEvents.lastNowPlaying(station, on: db) { return announced }
            return NowPlayingDTO(
                station: station.slug, name: station.name, onAir: false, nowPlaying: nil, show: nil, playingNext: [],
                songHistory: try await AsRunLog.recent(stationID: station.id, limit: 10, on: db), listeners: .init(current: 0, peak: 0))
        }
        return try await playout.nowPlaying()
    }

    @Sendable static func skip(req: Request) async throws -> HTTPStatus {
        let station = try await managed(req)
        guard let playout = try await req.application.cadenza.state(RadioStations.self).playout(slug: station.slug) else {
            // What the manager sees on air is what the airing process announced last.
            let onAir = try await RadioEvents.lastNowPlaying(station, on: req.sql)?.nowPlaying?.song.trackId.flatMap { Int64($0) }
            try await request(.skip, trackID: onAir, of: station, on: req.sql)
            return .accepted
        }
        playout.skip()
        return .accepted
    }

    /// For a station another process airs: its playout applies the request within half a second.
    private static func request(
        _ kind: StationRequests.Kind, trackID: Int64? = nil, of station: StationRecord, on db: any SQLDatabase
    )
        async throws
    {
        guard try await Leases.holder(RadioStations.leaseKey(station), on: db) != nil else {
            throw APIError.conflict("The station is not on air: no playout airs it now.")
        }
        try await StationRequests.add(stationID: station.id, kind: kind, trackID: trackID, on: db)
    }

    struct NextRequest: Content {
        var trackId: String
    }

    /// A manager's "play next": a track of the libraries the station plays from.
    @Sendable static func playNext(req: Request) async throws -> Response {
        let station = try await managed(req)
        let body = try await req.decodeJSON(NextRequest.self)
        guard let id = Int64(body.trackId), id > 0 else { throw APIError.unprocessable("trackId must be a track's id.") }
        let libraries = try await AutoDJ.libraries(for: station, on: req.db)
        guard let track = try await CatalogQueries.airableTrack(id: id, libraries: libraries, on: req.sql) else {
            throw APIError.notFound("Track")
        }
        guard let playout = try await req.application.cadenza.state(RadioStations.self).playout(slug: station.slug) else {
            try await request(.next, trackID: track.id, of: station, on: req.sql)
            return try await StationPlayout.song(track.playoutItem()).encodeResponse(status: .accepted, for: req)
        }
        return try await StationPlayout.song(playout.playNext(track)).encodeResponse(status: .accepted, for: req)
    }

    struct ListenersDTO: Content {
        struct Agent: Content {
            var agent: String
            var listeners: Int
        }

        var current: [String: Int]
        var userAgents: [Agent]
        var days: [ListenerStats.Day]
        /// Listening minutes per player over the same days.
        var players: [ListenerStats.Player]
    }

    /// Listeners now per output and per player, listening minutes and peaks per day and
    /// listening minutes per player (`days`, default 7, in the station's time zone); its managers.
    /// "Now" is the playout's own count when it airs in this process, else its newest sample.
    @Sendable static func listeners(req: Request) async throws -> ListenersDTO {
        let station = try await managed(req)
        let days = try req.boundedQueryInt("days", default: 7, range: 1...366)
        let now: (outputs: [String: Int], agents: [(agent: String, listeners: Int)])
        if let playout = try await req.application.cadenza.state(RadioStations.self).playout(slug: station.slug) {
            now = playout.listenersNow()
        } else {
            let interval = try req.application.settings.radio.statsInterval
            now = try await ListenerStats.latest(stationID: station.id, since: Clock.nowMillis() - Int64(interval * 2_000), on: req.sql)
        }
        let since = Clock.nowMillis() - Int64(days) * 86_400_000
        return ListenersDTO(
            current: now.outputs, userAgents: now.agents.map { .init(agent: $0.agent, listeners: $0.listeners) },
            days: try await ListenerStats.days(
                stationID: station.id, timeZone: TimeZone(identifier: station.timeZone) ?? .gmt, days: days, now: Date(), on: req.sql),
            players: try await ListenerStats.players(stationID: station.id, since: since, on: req.sql))
    }

    /// What aired, newest first; `from`/`to` (dates in the station's time zone, both included)
    /// for a period; `?format=csv` for royalty reporting, with album, year and recording.
    @Sendable static func history(req: Request) async throws -> Response {
        let station = try await managed(req)
        let zone = TimeZone(identifier: station.timeZone) ?? .gmt
        func day(_ key: String) throws -> Int64? {
            guard let text = req.query[String.self, at: key] else { return nil }
            guard let day = LocalText.parseDate(text) else { throw APIError.unprocessable("\(key) must be a date like 2027-03-14.") }
            return day
        }
        let (fromDay, toDay) = (try day("from"), try day("to"))
        if let fromDay, let toDay, toDay < fromDay { throw APIError.unprocessable("to must not be before from.") }
        let from = fromDay.map { ShowRule.instant(localSeconds: $0 * 86_400, zone: zone) * 1000 }
        let to = toDay.map { ShowRule.instant(localSeconds: ($0 + 1) * 86_400, zone: zone) * 1000 }
        let period = from != nil || to != nil
        let limit = try req.boundedQueryInt("limit", default: period ? 100_000 : 500, range: 1...100_000)
        let entries = try await AsRunLog.recent(stationID: station.id, limit: limit, from: from, to: to, on: req.sql)
        guard req.query[String.self, at: "format"] == "csv" else { return try await entries.encodeResponse(for: req) }
        let facts = try await CatalogQueries.reportFacts(entries.compactMap { $0.trackId.flatMap { Int64($0) } }, on: req.sql)
        var csv = "started_at,duration_ms,source,artist,title,album,year,recording_mbid,track_id\r\n"
        let dates = ISO8601DateFormatter()
        for entry in entries {
            let fact = entry.trackId.flatMap { Int64($0) }.flatMap { facts[$0] }
            let fields = [
                dates.string(from: entry.startedAt), entry.durationMs.map(String.init) ?? "", entry.source.rawValue, entry.artist, entry.title,
                fact?.album ?? "", fact?.year.map(String.init) ?? "", fact?.recording ?? "", entry.trackId ?? "",
            ]
            csv += fields.map(CSV.field).joined(separator: ",") + "\r\n"
        }
        var headers = HTTPHeaders([("Content-Type", "text/csv; charset=utf-8")])
        let span = [fromDay, toDay].compactMap { $0.map { LocalText.date($0) } }.joined(separator: "-to-")
        headers.add(name: .contentDisposition, value: "attachment; filename=\"\(station.slug)-as-run\(span.isEmpty ? "" : "-" + span).csv\"")
        return Response(status: .ok, headers: headers, body: .init(string: csv))
    }

    static func listenerLimit(_ change: Change) throws -> Int? {
        guard let limit = change.maxListeners else { return nil }
        guard (1...100_000).contains(limit) else { throw APIError.unprocessable("maxListeners must be 1 to 100000.") }
        return limit
    }

    struct Fields {
        var name: String
        var description: String
        var timeZone: String
        var outputs: [StationOutput]
        var crossfadeMs: Int
        var bitrate: Encoder.Bitrate
    }

    static func validated(_ change: Change, slug: String, name: String, current: StationRecord? = nil) throws -> Fields {
        guard Stations.validSlug(slug) else {
            throw APIError.unprocessable("slug must be 2 to 40 lower-case letters, digits and hyphens (it is part of the mount URL).")
        }
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...100).contains(trimmed.count) else { throw APIError.unprocessable("name must be 1 to 100 characters.") }
        let description = change.description ?? current?.description ?? ""
        guard description.count <= 2_000 else { throw APIError.unprocessable("description must be at most 2000 characters.") }
        let zone = change.timeZone ?? current?.timeZone ?? "UTC"
        guard zone.count <= 64, TimeZone(identifier: zone) != nil else {
            throw APIError.unprocessable("timeZone must be an IANA time zone (Europe/Berlin).")
        }
        let outputs = change.outputs ?? current?.outputs ?? [.mp3]
        guard !outputs.isEmpty else { throw APIError.unprocessable("outputs must name at least one of mp3, aac, hls.") }
        let crossfade = change.crossfadeMs ?? current?.crossfadeMs ?? 0
        guard (0...10_000).contains(crossfade) else { throw APIError.unprocessable("crossfadeMs must be 0 to 10000.") }
        let bitrate = try change.bitrate.map { kbps in
            guard let rate = Encoder.Bitrate(kbps: kbps) else {
                throw APIError.unprocessable("bitrate must be one of \(Encoder.Bitrate.allowed.map(String.init).joined(separator: ", ")) (kb/s).")
            }
            return rate
        }
        return Fields(
            name: trimmed, description: description, timeZone: zone, outputs: Array(Set(outputs)).sorted { $0.rawValue > $1.rawValue },
            crossfadeMs: crossfade, bitrate: bitrate ?? current?.bitrate ?? .standard)
    }
}

import Fluent
import Foundation
import SQLKit
import Vapor

/// `/api/v1/stations/{slug}/playlists`: the station's own playlists, what its shows air.
/// Managers only: they are the station's working material, not something listeners browse.
enum StationPlaylistsController {
    struct EntryChange: Decodable {
        var trackId: String
        var cueInMs: Int?
        var cueOutMs: Int?
        /// The crossfade into and out of this entry instead of the station's (0 to 10,000 ms).
        var fadeInMs: Int?
        var fadeOutMs: Int?
    }

    struct Change: Decodable {
        var name: String?
        /// The whole list, in order.
        var entries: [EntryChange]?
        /// Shorthand for entries without cue points (copying a listener playlist).
        var trackIds: [String]?
        /// Rules that make it a smart block; `"kind": "static"` makes it a static playlist again.
        var smart: SmartBlock?
        var kind: String?
        /// Its share of the autoDJ rotation, 0 (not in it) to 25.
        var rotationWeight: Int?
    }

    struct PreviewRequest: Decodable {
        var smart: SmartBlock
    }

    static let maxPlaylists = 500

    @Sendable static func list(req: Request) async throws -> [RadioPlaylistDTO] {
        let station = try await StationsController.managed(req)
        return try await RadioPlaylists.list(stationID: station.id, on: req.sql).map { RadioPlaylistDTO($0) }
    }

    @Sendable static func get(req: Request) async throws -> RadioPlaylistDTO {
        let station = try await StationsController.managed(req)
        return try await dto(try await playlist(req, station: station), station: station, req: req)
    }

    static func playlist(_ req: Request, station: StationRecord) async throws -> RadioPlaylists.Summary {
        let id = try req.int64Parameter("id", what: "Playlist")
        guard let playlist = try await RadioPlaylists.find(id: id, stationID: station.id, on: req.sql) else { throw APIError.notFound("Playlist") }
        return playlist
    }

    static func dto(_ playlist: RadioPlaylists.Summary, station: StationRecord, req: Request) async throws -> RadioPlaylistDTO {
        let libraries = try await AutoDJ.libraries(for: station, on: req.db)
        if let smart = playlist.smart {
            let preview = try await preview(smart, station: station, libraries: libraries, on: req.sql)
            return RadioPlaylistDTO(playlist, entries: preview.tracks, matching: preview.matching)
        }
        let entries = try await RadioPlaylists.entries([playlist.id], on: req.sql)[playlist.id] ?? []
        let tracks = try await CatalogQueries.airableTracks(ids: Array(Set(entries.map(\.trackID))), libraries: libraries, on: req.sql)
        return RadioPlaylistDTO(
            playlist,
            entries: entries.map { entry in
                let track = tracks[entry.trackID]
                return .init(
                    trackId: String(entry.trackID), title: track?.title, artist: track?.artist, durationMs: track?.durationMs, cueInMs: entry.cueInMs,
                    cueOutMs: entry.cueOutMs, fadeInMs: entry.fadeInMs, fadeOutMs: entry.fadeOutMs)
            })
    }

    /// What a smart block's rules match now and the first hundred tracks it would air.
    static func preview(
        _ smart: SmartBlock, station: StationRecord, libraries: [Int64], on db: any SQLDatabase
    ) async throws -> SmartBlockPreviewDTO {
        let matching = try await CatalogQueries.countMatching(smart.criteria, libraries: libraries, userID: station.ownerID, on: db)
        let tracks = try await smart.evaluate(station: station, libraries: libraries, on: db)
        return SmartBlockPreviewDTO(
            matching: .init(tracks: matching.tracks, durationMs: matching.durationMs),
            tracks: tracks.prefix(100).map {
                .init(trackId: String($0.id), title: $0.title, artist: $0.artist, durationMs: $0.durationMs, cueInMs: nil, cueOutMs: nil)
            },
            durationMs: tracks.reduce(0) { $0 + Int64($1.durationMs) })
    }

    /// `POST …/playlists/preview {"smart": {…}}`: the live preview of rules being written.
    @Sendable static func previewRules(req: Request) async throws -> SmartBlockPreviewDTO {
        let station = try await StationsController.managed(req)
        let asked = try await req.decodeJSON(PreviewRequest.self)
        if let problem = asked.smart.problem() { throw APIError.unprocessable(problem) }
        return try await preview(asked.smart, station: station, libraries: try await AutoDJ.libraries(for: station, on: req.db), on: req.sql)
    }

    /// The smart rules and rotation weight of a change, checked.
    static func validSmart(_ change: Change) throws -> (smart: SmartBlock??, weight: Int?) {
        if let problem = change.smart?.problem() { throw APIError.unprocessable(problem) }
        if let kind = change.kind, kind != "static", kind != "smart" { throw APIError.unprocessable("kind is static or smart.") }
        if change.kind == "smart", change.smart == nil { throw APIError.unprocessable("A smart block needs its rules (smart).") }
        if let weight = change.rotationWeight, !(0...25).contains(weight) { throw APIError.unprocessable("rotationWeight must be 0 to 25.") }
        let smart: SmartBlock?? = change.kind == "static" ? .some(nil) : change.smart.map { .some($0) }
        return (smart, change.rotationWeight)
    }

    @Sendable static func create(req: Request) async throws -> Response {
        let station = try await StationsController.managed(req)
        let change = try await req.decodeJSON(Change.self)
        let name = try validName(change.name ?? "")
        let entries = try await validEntries(change, station: station, req: req) ?? []
        let (smart, weight) = try validSmart(change)
        guard try await RadioPlaylists.list(stationID: station.id, on: req.sql).count < maxPlaylists else {
            throw APIError.conflict("A station has at most \(maxPlaylists) playlists.")
        }
        let id = try await req.db.writeTransaction { tx in
            let id = try await RadioPlaylists.create(
                stationID: station.id, name: name, entries: entries, smart: smart ?? nil, rotationWeight: weight ?? 0, on: tx.sql)
            try await ShowsController.changed(station, actor: try req.requireUser(), on: tx.sql)
            return id
        }
        await rotationChanged(station, req: req)
        guard let saved = try await RadioPlaylists.find(id: id, stationID: station.id, on: req.sql) else { throw APIError.notFound("Playlist") }
        return try await dto(saved, station: station, req: req).encodeResponse(status: .created, for: req)
    }

    @Sendable static func update(req: Request) async throws -> RadioPlaylistDTO {
        let station = try await StationsController.managed(req)
        let playlist = try await playlist(req, station: station)
        let change = try await req.decodeJSON(Change.self)
        let name = try change.name.map(validName)
        let entries = try await validEntries(change, station: station, req: req)
        let (smart, weight) = try validSmart(change)
        try await req.db.writeTransaction { tx in
            if let name { try await RadioPlaylists.rename(playlist.id, to: name, on: tx.sql) }
            if let entries { try await RadioPlaylists.replaceEntries(playlist.id, entries, on: tx.sql) }
            if let smart { try await RadioPlaylists.setSmart(playlist.id, smart, on: tx.sql) }
            if let weight { try await RadioPlaylists.setRotationWeight(playlist.id, weight, on: tx.sql) }
            try await ShowsController.changed(station, actor: try req.requireUser(), on: tx.sql)
        }
        await rotationChanged(station, req: req)
        return try await dto(try await self.playlist(req, station: station), station: station, req: req)
    }

    @Sendable static func delete(req: Request) async throws -> HTTPStatus {
        let station = try await StationsController.managed(req)
        let playlist = try await playlist(req, station: station)
        try await req.db.writeTransaction { tx in
            try await RadioPlaylists.delete(playlist.id, on: tx.sql)
            try await ShowsController.changed(station, actor: try req.requireUser(), on: tx.sql)
        }
        await rotationChanged(station, req: req)
        return .noContent
    }

    /// The station on air in this process reads its rotation again (others within a minute).
    static func rotationChanged(_ station: StationRecord, req: Request) async {
        try? await req.application.cadenza.state(RadioStations.self).playout(slug: station.slug)?.rotationChanged()
    }

    static func validName(_ raw: String) throws -> String {
        let name = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...200).contains(name.count) else { throw APIError.unprocessable("name must be 1 to 200 characters.") }
        return name
    }

    /// The entries asked for, each a track the station may air with cue points inside it.
    static func validEntries(_ change: Change, station: StationRecord, req: Request) async throws -> [RadioPlaylists.Entry]? {
        guard let asked = change.entries ?? change.trackIds?.map({ EntryChange(trackId: $0) }) else { return nil }
        guard asked.count <= RadioPlaylists.maxEntries else {
            throw APIError.unprocessable("A playlist holds at most \(RadioPlaylists.maxEntries) entries.")
        }
        let ids = try asked.map { entry -> Int64 in
            guard let id = Int64(entry.trackId), id > 0 else { throw APIError.unprocessable("Track ids are numbers.", code: "invalid_track") }
            return id
        }
        let libraries = try await AutoDJ.libraries(for: station, on: req.db)
        let tracks = try await CatalogQueries.airableTracks(ids: Array(Set(ids)), libraries: libraries, on: req.sql)
        return try zip(asked, ids).map { entry, id in
            guard let track = tracks[id] else { throw APIError.unprocessable("Track \(id) is not one this station can air.", code: "invalid_track") }
            let cueIn = entry.cueInMs ?? 0
            let cueOut = entry.cueOutMs ?? track.durationMs
            guard cueIn >= 0, cueOut <= track.durationMs, cueIn < cueOut else {
                throw APIError.unprocessable("Cue points of track \(id) must lie inside it, cue-in before cue-out.")
            }
            for fade in [entry.fadeInMs, entry.fadeOutMs].compactMap({ $0 }) where !(0...10_000).contains(fade) {
                throw APIError.unprocessable("Fades of track \(id) last 0 to 10000 ms.")
            }
            return RadioPlaylists.Entry(
                trackID: id, cueInMs: entry.cueInMs, cueOutMs: entry.cueOutMs, fadeInMs: entry.fadeInMs, fadeOutMs: entry.fadeOutMs)
        }
    }
}

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
    }

    struct Change: Decodable {
        var name: String?
        /// The whole list, in order.
        var entries: [EntryChange]?
        /// Shorthand for entries without cue points (copying a listener playlist).
        var trackIds: [String]?
    }

    static let maxPlaylists = 500

    @Sendable static func list(req: Request) async throws -> [RadioPlaylistDTO] {
        let station = try await StationsController.managed(req)
        return try await RadioPlaylists.list(stationID: station.id, on: req.sql).map {
            RadioPlaylistDTO(id: String($0.id), name: $0.name, entryCount: $0.entries, updatedAt: Clock.date($0.updatedAt), entries: nil)
        }
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
        let entries = try await RadioPlaylists.entries([playlist.id], on: req.sql)[playlist.id] ?? []
        let libraries = try await AutoDJ.libraries(for: station, on: req.db)
        let tracks = try await CatalogQueries.airableTracks(ids: Array(Set(entries.map(\.trackID))), libraries: libraries, on: req.sql)
        return RadioPlaylistDTO(
            id: String(playlist.id), name: playlist.name, entryCount: entries.count, updatedAt: Clock.date(playlist.updatedAt),
            entries: entries.map { entry in
                let track = tracks[entry.trackID]
                return .init(
                    trackId: String(entry.trackID), title: track?.title, artist: track?.artist, durationMs: track?.durationMs, cueInMs: entry.cueInMs,
                    cueOutMs: entry.cueOutMs)
            })
    }

    @Sendable static func create(req: Request) async throws -> Response {
        let station = try await StationsController.managed(req)
        let change = try await req.decodeJSON(Change.self)
        let name = try validName(change.name ?? "")
        let entries = try await validEntries(change, station: station, req: req) ?? []
        guard try await RadioPlaylists.list(stationID: station.id, on: req.sql).count < maxPlaylists else {
            throw APIError.conflict("A station has at most \(maxPlaylists) playlists.")
        }
        let id = try await req.db.writeTransaction { tx in
            let id = try await RadioPlaylists.create(stationID: station.id, name: name, entries: entries, on: tx.sql)
            try await ShowsController.changed(station, actor: try req.requireUser(), on: tx.sql)
            return id
        }
        guard let saved = try await RadioPlaylists.find(id: id, stationID: station.id, on: req.sql) else { throw APIError.notFound("Playlist") }
        return try await dto(saved, station: station, req: req).encodeResponse(status: .created, for: req)
    }

    @Sendable static func update(req: Request) async throws -> RadioPlaylistDTO {
        let station = try await StationsController.managed(req)
        let playlist = try await playlist(req, station: station)
        let change = try await req.decodeJSON(Change.self)
        let name = try change.name.map(validName)
        let entries = try await validEntries(change, station: station, req: req)
        try await req.db.writeTransaction { tx in
            if let name { try await RadioPlaylists.rename(playlist.id, to: name, on: tx.sql) }
            if let entries { try await RadioPlaylists.replaceEntries(playlist.id, entries, on: tx.sql) }
            try await ShowsController.changed(station, actor: try req.requireUser(), on: tx.sql)
        }
        return try await dto(try await self.playlist(req, station: station), station: station, req: req)
    }

    @Sendable static func delete(req: Request) async throws -> HTTPStatus {
        let station = try await StationsController.managed(req)
        let playlist = try await playlist(req, station: station)
        try await req.db.writeTransaction { tx in
            try await RadioPlaylists.delete(playlist.id, on: tx.sql)
            try await ShowsController.changed(station, actor: try req.requireUser(), on: tx.sql)
        }
        return .noContent
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
            return RadioPlaylists.Entry(trackID: id, cueInMs: entry.cueInMs, cueOutMs: entry.cueOutMs)
        }
    }
}

import CadenzaTags
import Foundation
import SQLKit
import Vapor

/// A station's or a show's picture: an image in the library's content-addressed artwork store
/// (so backups carry it and equal uploads share one file).
struct RadioArtwork: Sendable, Equatable, Codable {
    var hash: String
    var mime: String

    /// From the `artwork_hash` and `artwork_mime` columns; nil when they are empty.
    init?(row: any SQLRow) throws {
        guard let hash = try row.decode(column: "artwork_hash", as: String?.self),
            let mime = try row.decode(column: "artwork_mime", as: String?.self)
        else { return nil }
        self.hash = hash
        self.mime = mime
    }

    init(hash: String, mime: String) {
        self.hash = hash
        self.mime = mime
    }
}

/// `/api/v1/stations/{slug}/artwork`, `…/shows/{id}/artwork` and `…/tracks/{id}/artwork`:
/// managers upload and remove pictures; whoever may hear the station sees them, and the covers
/// of what it aired (signed out too, for a public station: its page shows what plays).
enum StationArtwork {
    static let maxBytes = 5 << 20
    /// Larger pictures are refused before anything decodes them: a few kilobytes can declare a
    /// canvas that needs gigabytes once decoded.
    static let maxSide = 8_000
    static let maxPixels = 36_000_000
    /// How long after airing a track's cover stays visible through the station.
    static let airedWindowMs: Int64 = 24 * 3_600_000

    /// Where a picture is served; the hash in the query names this picture, so a changed one is a new URL.
    static func url(_ artwork: RadioArtwork?, slug: String, showID: Int64? = nil) -> String? {
        guard let artwork else { return nil }
        let base = showID.map { "/api/v1/stations/\(slug)/shows/\($0)/artwork" } ?? "/api/v1/stations/\(slug)/artwork"
        return "\(base)?v=\(artwork.hash.prefix(12))"
    }

    /// The show on air's picture, else the station's.
    static func nowPlayingURL(_ station: StationRecord, show: NowPlayingDTO.Show?, on db: any SQLDatabase) async throws -> String? {
        if let id = show.flatMap({ Int64($0.id) }), let art = try await Shows.find(id: id, stationID: station.id, on: db)?.artwork {
            return url(art, slug: station.slug, showID: id)
        }
        return url(station.artwork, slug: station.slug)
    }

    /// Checks an uploaded picture and stores it: JPEG, PNG, WebP or GIF (by its bytes, not by
    /// what the client calls it), within the size limits.
    static func accept(_ body: ByteBuffer?, app: Application) async throws -> RadioArtwork {
        guard let body, body.readableBytes > 16 else {
            throw APIError.unprocessable("Send the picture itself as the request body (JPEG, PNG, WebP or GIF).")
        }
        let data = Data(body.readableBytesView)
        guard let mime = ImageSniffer.mime(data) else {
            throw APIError(
                status: .unsupportedMediaType, code: "unsupported_media_type", message: "The picture must be a JPEG, PNG, WebP or GIF image.")
        }
        guard let size = ImageDimensions.read(data) else { throw APIError.unprocessable("The picture's header could not be read: it looks damaged.") }
        guard size.width <= maxSide, size.height <= maxSide, size.width * size.height <= maxPixels else {
            throw APIError.unprocessable("The picture is \(size.width)×\(size.height) pixels; at most \(maxSide) on a side and 36 megapixels.")
        }
        let settings = try app.settings
        // Hashing and writing a few megabytes: off the event loop.
        guard let stored = try await runBlockingThrowing({ try ArtworkStore.save(data, mime: mime, settings: settings) }) else {
            throw APIError.unprocessable("The picture is too small or too large.")
        }
        return RadioArtwork(hash: stored.hash, mime: stored.mime)
    }

    /// Serves an image; `immutable` for a URL that names this version, else revalidated on each use.
    static func serve(
        hash: String, mime: String, immutable: Bool, req: Request
    ) async throws -> Response {
        var size: Int?
        if let raw = req.query[String.self, at: "size"] {
            guard let value = Int(raw), (1...4096).contains(value) else { throw APIError.badRequest("size must be 1 to 4096 pixels.") }
            size = value
        }
        let response = try await StreamController.serveArtwork(hash: hash, mime: mime, size: size, req: req)
        // Browsers only: a shared cache would go on serving a picture after its station turned private.
        response.headers.replaceOrAdd(name: .cacheControl, value: immutable ? "private, max-age=31536000, immutable" : "private, no-cache")
        return response
    }

    /// A station's or show's picture: cacheable for good under a URL naming this version (`?v=`).
    static func serve(_ artwork: RadioArtwork, req: Request) async throws -> Response {
        let current = req.query[String.self, at: "v"] == String(artwork.hash.prefix(12))
        return try await serve(hash: artwork.hash, mime: artwork.mime, immutable: current, req: req)
    }

    // MARK: the station's

    @Sendable static func getStation(req: Request) async throws -> Response {
        let station = try await StationsController.station(req, viewer: req.auth.get(Principal.self))
        guard let artwork = station.artwork else { throw APIError.notFound("Station picture") }
        return try await serve(artwork, req: req)
    }

    @Sendable static func putStation(req: Request) async throws -> StationDTO {
        let station = try await StationsController.managed(req)
        let artwork = try await accept(req.body.data, app: req.application)
        try await Stations.setArtwork(artwork, stationID: station.id, on: req.sql)
        try await changed(station, req: req)
        return try await refreshed(station, req: req)
    }

    @Sendable static func deleteStation(req: Request) async throws -> HTTPStatus {
        let station = try await StationsController.managed(req)
        try await Stations.setArtwork(nil, stationID: station.id, on: req.sql)
        try await changed(station, req: req)
        return .noContent
    }

    private static func refreshed(_ station: StationRecord, req: Request) async throws -> StationDTO {
        try await StationsController.dto(
            try await Stations.find(slug: station.slug, on: req.sql) ?? station, viewer: req.auth.get(Principal.self), app: req.application,
            on: req.sql)
    }

    /// A new picture is a change of the station: its pages and players hear of it.
    private static func changed(_ station: StationRecord, req: Request) async throws {
        try await EventStore.append(
            RadioEvents.updated, payload: .init(slug: station.slug, name: station.name), actorID: try req.requireUser().userID,
            subjectID: station.slug, audienceUserID: station.ownerID, visibility: RadioEvents.visibility(of: station), on: req.sql)
    }

    // MARK: a show's

    @Sendable static func getShow(req: Request) async throws -> Response {
        let station = try await StationsController.station(req, viewer: req.auth.get(Principal.self))
        guard let artwork = try await ShowsController.show(req, station: station).artwork else { throw APIError.notFound("Show picture") }
        return try await serve(artwork, req: req)
    }

    @Sendable static func putShow(req: Request) async throws -> ShowDTO {
        let station = try await StationsController.managed(req)
        var show = try await ShowsController.show(req, station: station)
        show.artwork = try await accept(req.body.data, app: req.application)
        try await Shows.setArtwork(show.artwork, showID: show.id, on: req.sql)
        try await ShowsController.changed(station, actor: try req.requireUser(), on: req.sql)
        return ShowDTO(show, slug: station.slug)
    }

    @Sendable static func deleteShow(req: Request) async throws -> HTTPStatus {
        let station = try await StationsController.managed(req)
        let show = try await ShowsController.show(req, station: station)
        try await Shows.setArtwork(nil, showID: show.id, on: req.sql)
        try await ShowsController.changed(station, actor: try req.requireUser(), on: req.sql)
        return .noContent
    }

    // MARK: what it aired

    /// The cover of a track the station aired in the last day, airs now or plays next.
    @Sendable static func getTrack(req: Request) async throws -> Response {
        let station = try await StationsController.station(req, viewer: req.auth.get(Principal.self))
        let trackID = try req.int64Parameter("trackId", what: "Track")
        let aired = try await AsRunLog.lastAired(stationID: station.id, trackIDs: [trackID], on: req.sql)[trackID]
        var heard = aired.map { $0 >= Clock.nowMillis() - airedWindowMs } ?? false
        if !heard {
            let playing = try await StationsController.nowPlaying(station, app: req.application, on: req.sql)
            let ids = ([playing.nowPlaying?.song] + playing.playingNext.map(Optional.some)).compactMap { $0?.trackId }
            heard = ids.contains(String(trackID))
        }
        guard heard, let art = try await ArtworkAccess.trackArtwork(trackID: trackID, on: req.sql) else { throw APIError.notFound("Artwork") }
        // Revalidated by its ETag on each use: the album's cover can change with a rescan.
        return try await serve(hash: art.hash, mime: art.mime, immutable: false, req: req)
    }
}

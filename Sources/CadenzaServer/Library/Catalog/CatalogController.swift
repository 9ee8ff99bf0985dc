import SQLKit
import Vapor

/// `/api/v1/artists|albums|tracks|genres|search`: the catalog the caller may see.
enum CatalogController {
    static func paging(_ req: Request) throws -> CatalogQueries.Paging {
        let limit = try req.boundedQueryInt("limit", default: 50, range: 1...500)
        let offset = try req.boundedQueryInt("offset", default: 0, range: 0...10_000_000)
        return .init(limit: limit, offset: offset)
    }

    static func filters(_ req: Request) throws -> CatalogQueries.Filters {
        var filters = CatalogQueries.Filters()
        filters.genre = req.query[String.self, at: "genre"].flatMap { $0.isEmpty ? nil : String($0.prefix(200)) }
        filters.libraryID = try req.optionalQueryInt64("library")
        filters.artistID = try req.optionalQueryInt64("artist")
        filters.albumID = try req.optionalQueryInt64("album")
        filters.fromYear = try req.optionalQueryInt64("fromYear").map { Int(clamping: $0) }
        filters.toYear = try req.optionalQueryInt64("toYear").map { Int(clamping: $0) }
        return filters
    }

    static func sort<S: RawRepresentable & CaseIterable>(_ req: Request, default value: S) throws -> S where S.RawValue == String {
        guard let raw = req.query[String.self, at: "sort"] else { return value }
        guard let sort = S(rawValue: raw) else {
            throw APIError.badRequest("sort must be one of \(S.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        return sort
    }

    static func visible(_ req: Request) async throws -> [Int64] {
        try await Libraries.visibleIDs(for: try req.requireUser(), on: req.sql)
    }

    @Sendable static func artists(req: Request) async throws -> Page<ArtistDTO> {
        let paging = try paging(req)
        let items = try await CatalogQueries.artists(
            visible: try await visible(req), filters: try filters(req),
            sort: try sort(req, default: CatalogQueries.ArtistSort.name), paging: paging, on: req.sql)
        return Page(items: items, limit: paging.limit, offset: paging.offset)
    }

    @Sendable static func artist(req: Request) async throws -> ArtistDetailDTO {
        let id = try req.int64Parameter("id", what: "Artist")
        let visible = try await visible(req)
        guard var artist = try await CatalogQueries.artist(id: id, visible: visible, on: req.sql) else {
            throw APIError.notFound("Artist")
        }
        let top = try await CatalogQueries.topTrackIDs(artistID: id, visible: visible, limit: 10, on: req.sql)
        guard !top.isEmpty else { return artist }
        let tracks = try await CatalogQueries.tracks(visible: visible, paging: .init(limit: top.count, offset: 0), ids: top, on: req.sql)
        artist.topTracks = CatalogQueries.ordered(tracks, by: top) { $0.id }
        return artist
    }

    @Sendable static func albums(req: Request) async throws -> Page<AlbumDTO> {
        let paging = try paging(req)
        let items = try await CatalogQueries.albums(
            visible: try await visible(req), filters: try filters(req),
            sort: try sort(req, default: CatalogQueries.AlbumSort.name), paging: paging, on: req.sql)
        return Page(items: items, limit: paging.limit, offset: paging.offset)
    }

    @Sendable static func album(req: Request) async throws -> AlbumDetailDTO {
        let id = try req.int64Parameter("id", what: "Album")
        guard var album = try await CatalogQueries.album(id: id, visible: try await visible(req), on: req.sql) else {
            throw APIError.notFound("Album")
        }
        // The caller's own play counts, for the album page's track table.
        let viewer = try req.requireUser()
        let plays = try await Annotations.load(userID: viewer.userID, type: "track", ids: album.tracks.compactMap { Int64($0.id) }, on: req.sql)
        for index in album.tracks.indices {
            album.tracks[index].playCount = Int64(album.tracks[index].id).flatMap { plays[$0]?.playCount } ?? 0
        }
        return album
    }

    @Sendable static func tracks(req: Request) async throws -> Page<TrackDTO> {
        let paging = try paging(req)
        let items = try await CatalogQueries.tracks(
            visible: try await visible(req), filters: try filters(req),
            sort: try sort(req, default: CatalogQueries.TrackSort.title), paging: paging, on: req.sql)
        return Page(items: items, limit: paging.limit, offset: paging.offset)
    }

    @Sendable static func track(req: Request) async throws -> TrackDTO {
        let id = try req.int64Parameter("id", what: "Track")
        let found = try await CatalogQueries.tracks(visible: try await visible(req), paging: .init(limit: 1, offset: 0), ids: [id], on: req.sql)
        guard let track = found.first else { throw APIError.notFound("Track") }
        return track
    }

    @Sendable static func genres(req: Request) async throws -> [GenreDTO] {
        try await CatalogQueries.genres(visible: try await visible(req), on: req.sql)
    }

    @Sendable static func search(req: Request) async throws -> SearchResultDTO {
        guard let q = req.query[String.self, at: "q"]?.trimmingCharacters(in: .whitespaces), !q.isEmpty, q.count <= 200 else {
            throw APIError.badRequest("q must be 1 to 200 characters.")
        }
        let limit = try req.boundedQueryInt("limit", default: 20, range: 1...200)
        let visible = try await visible(req)
        let page = CatalogQueries.Paging(limit: limit, offset: 0)
        // Typed a key at a time in the web app: the in-memory index, as Subsonic's search3 uses.
        let found = try await req.application.search(
            q, visible: visible, version: try await CatalogCache.version(on: req.sql),
            artists: page, albums: page, tracks: page, on: req.sql)
        return SearchResultDTO(
            artists: found.artists,
            albums: found.albums,
            tracks: found.tracks,
            playlists: try await PlaylistsController.dtos(
                try await PlaylistStore.visible(to: try req.requireUser(), nameMatching: q, limit: limit, on: req.sql),
                viewer: try req.requireUser(), on: req.sql))
    }
}

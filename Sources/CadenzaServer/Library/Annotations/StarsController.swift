import Fluent
import SQLKit
import Vapor

/// `/api/v1/stars/{track|album|artist}/:id` (PUT stars, DELETE unstars) and `GET /api/v1/stars`:
/// the same stars Subsonic apps show as favourites.
enum StarsController {
    struct StarredDTO: Content {
        var tracks: [TrackDTO]
        var albums: [AlbumDTO]
        var artists: [ArtistDTO]
    }

    @Sendable static func list(req: Request) async throws -> StarredDTO {
        let viewer = try req.requireUser()
        let visible = try await Libraries.visibleIDs(for: viewer, on: req.sql)
        var ids: [AnnotatedItem.Kind: [Int64]] = [:]
        for row in try await req.sql.raw(
            """
            SELECT item_type, item_id FROM stars WHERE user_id = \(bind: viewer.userID) ORDER BY created_at DESC
            """
        ).all() {
            guard let kind = AnnotatedItem.Kind(rawValue: try row.decode(column: "item_type", as: String.self)) else { continue }
            if ids[kind, default: []].count < 500 { ids[kind, default: []].append(try row.decode(column: "item_id", as: Int64.self)) }
        }
        let page = CatalogQueries.Paging(limit: 500, offset: 0)
        let trackIDs = ids[.track] ?? [], albumIDs = ids[.album] ?? [], artistIDs = ids[.artist] ?? []
        let tracks = trackIDs.isEmpty ? [] : try await CatalogQueries.tracks(visible: visible, paging: page, ids: trackIDs, on: req.sql)
        let albums = albumIDs.isEmpty ? [] : try await CatalogQueries.albums(visible: visible, paging: page, ids: albumIDs, on: req.sql)
        let artists = try await CatalogQueries.artists(ids: artistIDs, visible: visible, on: req.sql)
        return StarredDTO(
            tracks: CatalogQueries.ordered(tracks, by: trackIDs, id: \.id),
            albums: CatalogQueries.ordered(albums, by: albumIDs, id: \.id),
            artists: artists)
    }

    @Sendable static func star(req: Request) async throws -> HTTPStatus { try await change(req, on: true) }
    @Sendable static func unstar(req: Request) async throws -> HTTPStatus { try await change(req, on: false) }

    static func change(_ req: Request, on: Bool) async throws -> HTTPStatus {
        let viewer = try req.requireUser()
        let item = try AnnotatedItem.fromPath(req)
        try await item.requireVisible(to: viewer, on: req.sql)
        try await AnnotatedItem.setStarred(on, userID: viewer.userID, items: [(item.kind.rawValue, item.id)], on: req.db)
        return .noContent
    }
}

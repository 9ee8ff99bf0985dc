import Foundation
import SQLKit
import Vapor

/// `/api/v1/discovery/...`: recommendations with their "why", instant mixes, similar artists,
/// the playlists made for the caller, and the model's state.
enum DiscoveryController {
    /// Why something is recommended, as a sentence and as references.
    struct WhyDTO: Content {
        var reason: String
        var text: String
        var track: ArtistRef?
        var artist: ArtistRef?
    }

    struct TrackPickDTO: Content {
        var track: TrackDTO
        var score: Double
        var why: WhyDTO
    }

    struct AlbumPickDTO: Content {
        var album: AlbumDTO
        var score: Double
        var why: WhyDTO
    }

    struct ArtistPickDTO: Content {
        var artist: ArtistDTO
        var score: Double
        var why: WhyDTO
    }

    struct Items<T: Content>: Content {
        var items: [T]
    }

    struct MadeDTO: Content {
        var kind: String
        var name: String
        var period: String
        var updatedAt: Int64
        var playlist: PlaylistsController.PlaylistDTO
    }

    struct ModelDTO: Content {
        var model: DiscoveryModel.Summary?
    }

    struct QueuedDTO: Content {
        var jobId: Int64?
    }

    static func flag(_ req: Request, _ name: String) throws -> Bool {
        guard let raw = req.query[String.self, at: name] else { return false }
        switch raw.lowercased() {
        case "true", "1": return true
        case "false", "0": return false
        default: throw APIError.badRequest("\(name) must be true or false.")
        }
    }

    static func picks(_ req: Request, limit: Int) async throws -> (picks: [Recommendations.Pick], visible: [Int64]) {
        let viewer = try req.requireUser()
        let visible = try await Libraries.visibleIDs(for: viewer, on: req.sql)
        var options = Recommendations.Options()
        options.limit = limit
        options.includeRecent = try flag(req, "includeRecent")
        options.neverPlayed = try flag(req, "neverPlayed")
        let picks = try await Recommendations.tracks(
            for: viewer.userID, visible: visible, options: options, now: Clock.nowMillis() / 1000, on: req.sql)
        return (picks, visible)
    }

    @Sendable static func tracks(req: Request) async throws -> Items<TrackPickDTO> {
        let limit = try req.boundedQueryInt("limit", default: 50, range: 1...100)
        let (picks, visible) = try await picks(req, limit: limit)
        let tracks = try await CatalogQueries.tracks(
            visible: visible, paging: .init(limit: picks.count, offset: 0), ids: picks.map(\.trackID), on: req.sql)
        let byID = Dictionary(tracks.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let whys = try await whys(picks, visible: visible, on: req.sql)
        return Items(
            items: picks.compactMap { pick in
                byID[String(pick.trackID)].map { TrackPickDTO(track: $0, score: pick.score, why: whys[pick.trackID] ?? popularWhy) }
            })
    }

    /// Albums and artists: the recommended tracks' scores summed by album or artist; the why is the best track's.
    @Sendable static func albums(req: Request) async throws -> Items<AlbumPickDTO> {
        try await groupedPicks(req, by: { $0.albumID }, id: \.id) { ids, visible in
            try await CatalogQueries.albums(visible: visible, paging: .init(limit: ids.count, offset: 0), ids: ids, on: req.sql)
        } make: {
            AlbumPickDTO(album: $0, score: $1, why: $2)
        }
    }

    @Sendable static func artists(req: Request) async throws -> Items<ArtistPickDTO> {
        try await groupedPicks(req, by: { $0.artistID }, id: \.id) { ids, visible in
            try await CatalogQueries.artists(visible: visible, paging: .init(limit: ids.count, offset: 0), ids: ids, on: req.sql)
        } make: {
            ArtistPickDTO(artist: $0, score: $1, why: $2)
        }
    }

    static func groupedPicks<Item, DTO: Content>(
        _ req: Request, by key: (Recommendations.Pick) -> Int64?, id: (Item) -> String,
        load: ([Int64], [Int64]) async throws -> [Item], make: (Item, Double, WhyDTO) -> DTO
    ) async throws -> Items<DTO> {
        let limit = try req.boundedQueryInt("limit", default: 12, range: 1...100)
        let (picks, visible) = try await picks(req, limit: 300)
        let ranked = grouped(picks, by: key, limit: limit)
        let found = try await load(ranked.map(\.key), visible)
        let byID = Dictionary(found.map { (id($0), $0) }, uniquingKeysWith: { first, _ in first })
        let whys = try await whys(ranked.map(\.best), visible: visible, on: req.sql)
        return Items(
            items: ranked.compactMap { group in byID[String(group.key)].map { make($0, group.score, whys[group.best.trackID] ?? popularWhy) } })
    }

    static func grouped(
        _ picks: [Recommendations.Pick], by key: (Recommendations.Pick) -> Int64?, limit: Int
    ) -> [(key: Int64, score: Double, best: Recommendations.Pick)] {
        var groups: [Int64: (score: Double, best: Recommendations.Pick)] = [:]
        for pick in picks {
            guard let id = key(pick) else { continue }
            if let group = groups[id] {
                groups[id] = (group.score + pick.score, group.best.score >= pick.score ? group.best : pick)
            } else {
                groups[id] = (pick.score, pick)
            }
        }
        typealias Group = (key: Int64, score: Double, best: Recommendations.Pick)
        let list: [Group] = groups.map { entry -> Group in (entry.key, entry.value.score, entry.value.best) }
        let ordered = list.sorted { (a: Group, b: Group) -> Bool in a.score != b.score ? a.score > b.score : a.key < b.key }
        return Array(ordered.prefix(limit))
    }

    static let popularWhy = WhyDTO(reason: Recommendations.Reason.popular.rawValue, text: "Popular on this server", track: nil, artist: nil)

    /// The sentence and references for each pick, naming only what the caller may see.
    static func whys(_ picks: [Recommendations.Pick], visible: [Int64], on db: any SQLDatabase) async throws -> [Int64: WhyDTO] {
        let trackIDs = picks.filter { $0.reason == .played }.compactMap(\.because)
        let artistIDs = picks.filter { $0.reason != .played && $0.reason != .popular }.compactMap(\.because)
        let tracks = try await CatalogQueries.trackSummaries(ids: trackIDs, visible: visible, on: db)
        let artists = try await CatalogQueries.artists(
            visible: visible, paging: .init(limit: max(artistIDs.count, 1), offset: 0), ids: artistIDs, on: db)
        let artistNames = Dictionary(artists.map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
        var result: [Int64: WhyDTO] = [:]
        for pick in picks {
            let reason = pick.reason.rawValue
            switch pick.reason {
            case .played:
                guard let id = pick.because, let seed = tracks[id] else { continue }
                result[pick.trackID] = WhyDTO(
                    reason: reason, text: "Because you played \(seed.title) by \(seed.artist)",
                    track: ArtistRef(id: String(id), name: seed.title), artist: nil)
            case .artist, .similarArtist:
                guard let id = pick.because, let name = artistNames[String(id)] else { continue }
                result[pick.trackID] = WhyDTO(
                    reason: reason, text: pick.reason == .artist ? "Because you like \(name)" : "Similar to \(name)",
                    track: nil, artist: ArtistRef(id: String(id), name: name))
            case .popular:
                result[pick.trackID] = popularWhy
            }
        }
        return result
    }

    /// `?track=` | `?album=` | `?artist=`: a queue that continues from the seed (the seed track first).
    @Sendable static func mix(req: Request) async throws -> Items<TrackDTO> {
        let limit = try req.boundedQueryInt("limit", default: 50, range: 1...100)
        let seeds: [CatalogQueries.SimilarSeed] = [
            try req.optionalQueryInt64("track").map { .track($0) }, try req.optionalQueryInt64("album").map { .album($0) },
            try req.optionalQueryInt64("artist").map { .artist($0) },
        ].compactMap { $0 }
        guard seeds.count == 1, let seed = seeds.first else { throw APIError.badRequest("Name one seed: track, album or artist.") }
        let visible = try await Libraries.visibleIDs(for: try req.requireUser(), on: req.sql)
        let ids = try await InstantMix.tracks(from: seed, visible: visible, limit: limit, includeSeed: true, on: req.sql)
        guard !ids.isEmpty else { throw APIError.notFound("Seed") }
        let tracks = try await CatalogQueries.tracks(visible: visible, paging: .init(limit: ids.count, offset: 0), ids: ids, on: req.sql)
        return Items(items: CatalogQueries.ordered(tracks, by: ids) { $0.id })
    }

    @Sendable static func similarArtists(req: Request) async throws -> Items<ArtistDTO> {
        let id = try req.int64Parameter("id", what: "Artist")
        let limit = try req.boundedQueryInt("limit", default: 12, range: 1...100)
        let visible = try await Libraries.visibleIDs(for: try req.requireUser(), on: req.sql)
        guard try await CatalogQueries.visibleArtistIDs([id], visible: visible, on: req.sql).contains(id) else {
            throw APIError.notFound("Artist")
        }
        let ids = try await SimilarArtists.ids(to: id, visible: visible, limit: limit, on: req.sql)
        let artists = try await CatalogQueries.artists(visible: visible, paging: .init(limit: max(ids.count, 1), offset: 0), ids: ids, on: req.sql)
        return Items(items: CatalogQueries.ordered(artists, by: ids) { $0.id })
    }

    @Sendable static func playlists(req: Request) async throws -> Items<MadeDTO> {
        let viewer = try req.requireUser()
        let made = try await MadeForYou.current(userID: viewer.userID, on: req.sql)
        let records = try await PlaylistStore.load(
            "p.id IN (\(SQLList(integers: made.compactMap(\.playlistId) + [0]))) AND p.owner_id = \(bind: viewer.userID)", on: req.sql)
        let dtos = try await PlaylistsController.dtos(records, viewer: viewer, on: req.sql)
        let byID = Dictionary(dtos.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        return Items(
            items: made.compactMap { entry in
                guard let id = entry.playlistId, let playlist = byID[String(id)] else { return nil }
                return MadeDTO(kind: entry.kind.rawValue, name: entry.kind.name, period: entry.period, updatedAt: entry.updatedAt, playlist: playlist)
            })
    }

    @Sendable static func refreshPlaylists(req: Request) async throws -> Response {
        let viewer = try req.requireUser()
        let job = try await MadeForYou.enqueueRefresh(userID: viewer.userID, on: req.sql)
        return try await QueuedDTO(jobId: job).encodeResponse(status: .accepted, for: req)
    }

    @Sendable static func model(req: Request) async throws -> ModelDTO {
        _ = try req.requireUser()
        return ModelDTO(model: try await DiscoveryModel.summary(on: req.sql))
    }

    @Sendable static func rebuildModel(req: Request) async throws -> Response {
        _ = try req.requireAdmin()
        let job = try await DiscoveryModel.enqueueBuild(on: req.sql)
        return try await QueuedDTO(jobId: job).encodeResponse(status: .accepted, for: req)
    }
}

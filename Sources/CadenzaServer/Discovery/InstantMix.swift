import SQLKit

/// A queue that continues from a seed by similarity (an "instant mix", Subsonic's similar
/// songs, the jukebox's autoplay): the seed tracks' co-listening neighbours, then their
/// neighbours at half weight, then the best tracks of the seed artists' neighbours, then — when
/// listens are few — tracks sharing a genre. No artist twice in a row while another is left.
enum InstantMix {
    static func tracks(
        from seed: CatalogQueries.SimilarSeed, visible: [Int64], limit: Int, includeSeed: Bool, excluding: Set<Int64> = [],
        byGenreWhenFew: Bool = true, on db: any SQLDatabase
    ) async throws -> [Int64] {
        guard limit > 0, !visible.isEmpty else { return [] }
        let seeds: [Int64]
        switch seed {
        case .track(let id): seeds = try await CatalogQueries.trackFacts([id], visible: visible, on: db)[id] == nil ? [] : [id]
        case .album(let id): seeds = try await CatalogQueries.albumTrackIDs(id, visible: visible, on: db)
        case .artist(let id): seeds = try await CatalogQueries.topTrackIDs(artistID: id, visible: visible, limit: 10, on: db)
        }
        guard !seeds.isEmpty else { return [] }
        var scored = Recommendations.Scores(excluded: excluding.union(seeds))
        let first = try await DiscoveryModel.neighbours(.track, of: seeds, on: db)
        for seed in seeds { for neighbour in first[seed] ?? [] { scored.add(neighbour.id, neighbour.score, .played, because: seed) } }
        let hop = scored.best(10)
        let second = try await DiscoveryModel.neighbours(.track, of: hop.map(\.key), on: db)
        for (track, entry) in hop {
            for neighbour in second[track] ?? [] { scored.add(neighbour.id, 0.5 * entry.score * neighbour.score, .played, because: track) }
        }
        let seedFacts = try await CatalogQueries.trackFacts(seeds, visible: visible, on: db)
        let seedArtists = Array(Set(seedFacts.values.compactMap(\.artistID))).sorted()
        let artistNeighbours = try await DiscoveryModel.neighbours(.artist, of: seedArtists, on: db)
        let alikeArtists = seedArtists.flatMap { artistNeighbours[$0]?.prefix(5) ?? [] }.sorted { $0.score > $1.score }.prefix(6)
        for artist in alikeArtists {
            let top = try await CatalogQueries.topTrackIDs(artistID: artist.id, visible: visible, limit: 6, on: db)
            for (rank, track) in top.enumerated() {
                scored.add(track, 0.3 * artist.score * (1 - Double(rank) * 0.1), .similarArtist, because: artist.id)
            }
        }
        if byGenreWhenFew, scored.count < limit {
            let alike = try await CatalogQueries.similarTrackIDs(to: seed, visible: visible, limit: limit * 2, on: db)
            for (rank, track) in alike.enumerated() { scored.add(track, 0.001 * (1 - Double(rank) / Double(alike.count + 1)), .played, because: nil) }
        }
        let candidates = scored.best(limit * 4)
        let facts = try await CatalogQueries.trackFacts(candidates.map(\.key), visible: visible, on: db)
        let ordered = candidates.compactMap { track, _ in facts[track].map { (track, $0.artistID) } }
        var mix = includeSeed ? [seeds[0]] : []
        mix += spaced(ordered, after: includeSeed ? seedFacts[seeds[0]]?.artistID : nil, limit: limit - mix.count)
        return mix
    }

    /// Best first, but never the previous track's artist when another is waiting.
    static func spaced(_ tracks: [(id: Int64, artist: Int64?)], after previous: Int64?, limit: Int) -> [Int64] {
        var waiting = tracks
        var result: [Int64] = []
        var last = previous
        while result.count < limit, !waiting.isEmpty {
            let index = waiting.firstIndex { $0.artist == nil || $0.artist != last } ?? 0
            let next = waiting.remove(at: index)
            result.append(next.id)
            last = next.artist
        }
        return result
    }
}

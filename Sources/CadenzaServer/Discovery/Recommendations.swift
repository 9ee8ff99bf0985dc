import Foundation
import SQLKit

/// A person's recommended tracks, scored at request time from the nightly neighbours, so a
/// play made a minute ago already counts:
/// - **co-listening**: neighbours of what they play most (all time, and the last 30 days more),
///   each weighted by `1 + ln(plays)`; the seed that gave most is the "why";
/// - **content**: tracks by the artists they play and by those artists' neighbours; co-listened
///   candidates by an artist they play get a bonus;
/// - **cold start**: what most people here play, until their own plays lead somewhere;
/// - **era and identity**: a candidate from the decades they play most gains a little; the same
///   MusicBrainz recording is offered once, and not at all if they played it on another album.
/// Only tracks in libraries they may see; nothing played in the last `recentDays` unless asked.
enum Recommendations {
    enum Reason: String, Codable, Sendable {
        case played = "because_you_played"
        case artist = "because_you_like"
        case similarArtist = "similar_to"
        case popular = "popular_here"
    }

    struct Pick: Sendable {
        var trackID: Int64
        var score: Double
        var reason: Reason
        /// The track played (`played`) or the artist (`artist`, `similarArtist`) behind the pick.
        var because: Int64?
        var albumID: Int64
        var artistID: Int64?
    }

    struct Options: Sendable {
        var limit = 50
        var includeRecent = false
        /// Only tracks never played (weekly exploration).
        var neverPlayed = false
        var recentDays: Int64 = 30
        /// Most tracks of one artist in the result (more only when nothing else is left).
        var perArtist = 2
    }

    static func tracks(for userID: Int64, visible: [Int64], options: Options, now: Int64, on db: any SQLDatabase) async throws -> [Pick] {
        guard options.limit > 0, !visible.isEmpty else { return [] }
        let recentSince = now - options.recentDays * 86_400
        let allTime = try await ListenQueries.topTracks(userID: userID, limit: 150, on: db)
        let lately = try await ListenQueries.recentTracks(userID: userID, since: now - 90 * 86_400, limit: 50, on: db)
        var seedWeight: [Int64: Double] = [:]
        for (track, plays) in allTime { seedWeight[track, default: 0] += 1 + log(Double(max(plays, 1))) }
        for (track, plays) in lately { seedWeight[track, default: 0] += 0.5 * (1 + log(Double(max(plays, 1)))) }
        var excluded = Set<Int64>()
        if !options.includeRecent {
            excluded.formUnion(try await ListenQueries.recentTracks(userID: userID, since: recentSince, limit: 20_000, on: db).map(\.track))
        }
        if options.neverPlayed { excluded.formUnion(try await ListenQueries.playedTracks(userID: userID, on: db)) }

        var scored = Scores(excluded: excluded)
        // Co-listening.
        let neighbours = try await DiscoveryModel.neighbours(.track, of: Array(seedWeight.keys), on: db)
        for (seed, weight) in seedWeight {
            for neighbour in neighbours[seed] ?? [] { scored.add(neighbour.id, weight * neighbour.score, .played, because: seed) }
        }
        // Content: the artists they play, and those artists' neighbours.
        let seedFacts = try await CatalogQueries.trackFacts(Array(seedWeight.keys), visible: visible, on: db)
        var affinity: [Int64: Double] = [:]
        for (seed, weight) in seedWeight { if let artist = seedFacts[seed]?.artistID { affinity[artist, default: 0] += weight } }
        let strongest = affinity.values.max() ?? 1
        let favourites = affinity.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(6)
        let artistNeighbours = try await DiscoveryModel.neighbours(.artist, of: favourites.map(\.key), on: db)
        var artistPicks: [(artist: Int64, weight: Double, reason: Reason, because: Int64)] = favourites.map {
            ($0.key, 0.3 * $0.value / strongest, .artist, $0.key)
        }
        for (artist, weight) in favourites {
            for neighbour in (artistNeighbours[artist] ?? []).prefix(4) where affinity[neighbour.id] == nil {
                artistPicks.append((neighbour.id, 0.3 * weight / strongest * neighbour.score, .similarArtist, artist))
            }
        }
        let chosenArtists = Array(artistPicks.sorted(by: { $0.weight > $1.weight }).prefix(10))
        // Each artist's tracks most listened to here (by the model's count, one read for all).
        let byArtist = try await CatalogQueries.trackIDs(artistIDs: chosenArtists.map(\.artist), visible: visible, on: db)
        let listeners = try await DiscoveryModel.listeners(of: Array(Set(byArtist.values.joined())), on: db)
        for pick in chosenArtists {
            let top = (byArtist[pick.artist] ?? []).sorted { a, b in
                let (la, lb) = (listeners[a] ?? 0, listeners[b] ?? 0)
                return la != lb ? la > lb : a < b
            }
            for (rank, track) in top.prefix(8).enumerated() {
                scored.add(track, pick.weight * (1 - Double(rank) * 0.05), pick.reason, because: pick.because)
            }
        }
        // Cold start, and a floor under everything else.
        if scored.count < options.limit * 3 {
            let popular = try await DiscoveryModel.popularTracks(limit: options.limit * 6, on: db)
            for (rank, track) in popular.enumerated() {
                scored.add(track, 0.01 * (1 - Double(rank) / Double(popular.count + 1)), .popular, because: nil)
            }
        }
        // The model may not have run yet: tracks sharing a genre with the favourite seeds.
        if scored.count < options.limit, let seed = allTime.first?.track {
            let alike = try await CatalogQueries.similarTrackIDs(to: .track(seed), visible: visible, limit: options.limit * 2, on: db)
            for track in alike { scored.add(track, 0.001, .played, because: seed) }
        }

        let candidates = scored.best(2_000)
        let facts = try await CatalogQueries.trackFacts(candidates.map(\.key), visible: visible, on: db)
        // The same recording on another album (a compilation, a second library) counts as played.
        let heard = excluded.isEmpty ? [] : try await CatalogQueries.recordingIDs(of: Array(excluded), on: db)
        let eras = Eras(seedWeight.compactMap { seed, weight in seedFacts[seed]?.year.map { ($0, weight) } })
        var offered = Set<String>()
        var picks: [Pick] = candidates.compactMap { track, entry in
            guard let fact = facts[track] else { return nil }
            if let recording = fact.recording {
                guard !heard.contains(recording), offered.insert(recording).inserted else { return nil }
            }
            var score = entry.score
            if entry.reason == .played, let artist = fact.artistID, let liked = affinity[artist] { score *= 1 + 0.2 * liked / strongest }
            score *= 1 + 0.15 * eras.share(of: fact.year)
            return Pick(trackID: track, score: score, reason: entry.reason, because: entry.because, albumID: fact.albumID, artistID: fact.artistID)
        }
        picks.sort { $0.score != $1.score ? $0.score > $1.score : $0.trackID < $1.trackID }
        return spread(picks, limit: options.limit, perArtist: options.perArtist)
    }

    /// How much of a person's listening falls in each decade, so that between two otherwise equal
    /// candidates the one from the eras they play wins.
    struct Eras {
        private var weight: [Int: Double] = [:]
        private var total = 0.0

        init(_ years: [(year: Int, weight: Double)]) {
            for (year, w) in years where (1000...9999).contains(year) {
                weight[year / 10, default: 0] += w
                total += w
            }
        }

        /// 0…1: the share of their listening in the decade of `year` (0 when either is unknown).
        func share(of year: Int?) -> Double {
            guard let year, total > 0, (1000...9999).contains(year) else { return 0 }
            return (weight[year / 10] ?? 0) / total
        }
    }

    /// At most `perArtist` tracks of one artist, unless nothing else is left to fill the page.
    static func spread(_ picks: [Pick], limit: Int, perArtist: Int) -> [Pick] {
        var chosen: [Pick] = [], held: [Pick] = []
        var counts: [Int64: Int] = [:]
        for pick in picks {
            guard chosen.count < limit else { break }
            let artist = pick.artistID ?? -pick.trackID
            if counts[artist, default: 0] < perArtist {
                counts[artist, default: 0] += 1
                chosen.append(pick)
            } else {
                held.append(pick)
            }
        }
        return chosen + held.prefix(max(0, limit - chosen.count))
    }

    /// Candidate scores, summed over what led to them; the reason is the largest contribution.
    struct Scores {
        struct Entry {
            var score: Double
            var reason: Reason
            var because: Int64?
            var best: Double
        }

        let excluded: Set<Int64>
        private(set) var entries: [Int64: Entry] = [:]
        var count: Int { entries.count }

        init(excluded: Set<Int64>) { self.excluded = excluded }

        mutating func add(_ track: Int64, _ score: Double, _ reason: Reason, because: Int64?) {
            guard score > 0, !excluded.contains(track) else { return }
            if var entry = entries[track] {
                entry.score += score
                if score > entry.best { (entry.best, entry.reason, entry.because) = (score, reason, because) }
                entries[track] = entry
            } else {
                entries[track] = Entry(score: score, reason: reason, because: because, best: score)
            }
        }

        func best(_ count: Int) -> [(key: Int64, value: Entry)] {
            Array(entries.sorted { $0.value.score != $1.value.score ? $0.value.score > $1.value.score : $0.key < $1.key }.prefix(count))
        }
    }
}

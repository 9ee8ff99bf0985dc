import CadenzaPlayout
import CadenzaTags
import Fluent
import Foundation
import SQLKit

/// The rotation a station airs when nothing is scheduled: random tracks from the libraries the
/// station's owner may see (every non-private library for the instance's own station), no track
/// again within the station's track gap (an hour by default) and no artist within its artist gap
/// (twenty minutes) while the library allows it.
enum AutoDJ {

    struct Candidate: Sendable, Codable {
        var trackID: Int64
        var item: PlayoutItem
        /// Its chance relative to the others: its playlist's rotation weight shared among the
        /// playlist's tracks (so a playlist's share does not grow with its length).
        var weight: Double = 1
    }

    /// The libraries a station plays from.
    static func libraries(for station: StationRecord, on db: any Database) async throws -> [Int64] {
        var isAdmin = false
        if let owner = station.ownerID {
            guard let user = try await User.find(owner, on: db) else { return [] }
            isAdmin = user.isAdmin
        }
        return Libraries.visibleIDs(userID: station.ownerID, isAdmin: isAdmin, in: try await Libraries.visibilityTable(on: db.sql))
    }

    /// What the station may air, which the playout keeps and chooses from even while the
    /// database is away: the playlists and smart blocks in its rotation (by weight), or, when
    /// it has none, a random sample of its libraries. Either way, what people here play alongside
    /// the last track aired weighs `flowWeight` times as much, so the rotation flows as an instant
    /// mix does while a manager's playlists still decide what may air.
    static func pool(station: StationRecord, libraries: [Int64], on db: any SQLDatabase) async throws -> [Candidate] {
        let rotation = try await RadioPlaylists.list(stationID: station.id, on: db).filter { $0.rotationWeight > 0 }
        // Only a weighting: a model that cannot be read leaves the pool as it is.
        let flow = (try? await flow(station: station, libraries: libraries, on: db)) ?? []
        let library = {
            var candidates = try await CatalogQueries.randomAirableTracks(libraries: libraries, limit: 200, on: db).map {
                Candidate(trackID: $0.id, item: $0.playoutItem())
            }
            // The sample may miss what continues best: those join it.
            let airable = try await CatalogQueries.airableTracks(ids: flow, libraries: libraries, on: db)
            candidates.removeAll { airable[$0.trackID] != nil }
            for id in flow { if let track = airable[id] { candidates.append(Candidate(trackID: id, item: track.playoutItem())) } }
            return favouring(Set(flow), in: candidates)
        }
        guard !rotation.isEmpty else { return try await library() }
        let entries = try await RadioPlaylists.resolve(rotation.map(\.id), station: station, libraries: libraries, on: db)
        let tracks = try await CatalogQueries.airableTracks(
            ids: Array(Set(entries.values.flatMap { $0.map(\.trackID) })), libraries: libraries, on: db)
        var candidates: [Candidate] = []
        var seen = Set<Int64>()
        for playlist in rotation {
            let airable = (entries[playlist.id] ?? []).filter { tracks[$0.trackID] != nil }
            for entry in airable where seen.insert(entry.trackID).inserted {
                guard let track = tracks[entry.trackID] else { continue }
                candidates.append(
                    Candidate(
                        trackID: track.id,
                        item: entry.playoutItem(of: track),
                        weight: Double(playlist.rotationWeight) / Double(max(1, airable.count))))
            }
        }
        // A rotation whose playlists give nothing airable (a block matching nothing) is no reason for dead air.
        return candidates.isEmpty ? try await library() : favouring(Set(flow), in: candidates)
    }

    /// How much more likely a track that continues from the last one aired is to come next.
    static let flowWeight = 4.0

    /// What people here play alongside the last track aired, best first: nothing before the
    /// station aired a library track, or when nobody's listens link it to others.
    static func flow(station: StationRecord, libraries: [Int64], on db: any SQLDatabase) async throws -> [Int64] {
        guard let last = try await AsRunLog.recent(stationID: station.id, limit: 1, on: db).first?.trackId.flatMap({ Int64($0) }) else {
            return []
        }
        return try await InstantMix.tracks(
            from: .track(last), visible: libraries, limit: 30, includeSeed: false, byGenreWhenFew: false, on: db)
    }

    /// The candidates with those in `flow` weighing `flowWeight` times their own weight.
    static func favouring(_ flow: Set<Int64>, in candidates: [Candidate]) -> [Candidate] {
        guard !flow.isEmpty else { return candidates }
        return candidates.map { candidate in
            var candidate = candidate
            if flow.contains(candidate.trackID) { candidate.weight *= flowWeight }
            return candidate
        }
    }

    /// The candidates in a weighted random order (Efraimidis–Spirakis: each drawn key is
    /// u^(1/weight), largest first, compared as log(u)/weight so small weights never underflow
    /// to ties), which `choose` then walks.
    static func weightedOrder(_ candidates: [Candidate]) -> [Candidate] {
        candidates.map { candidate -> (Double, Candidate) in
            let weight = candidate.weight.isFinite && candidate.weight > 0 ? candidate.weight : 1e-9
            return (log(Double.random(in: Double.ulpOfOne..<1)) / weight, candidate)
        }.sorted { $0.0 > $1.0 }.map(\.1)
    }

    /// The repeat rules, relaxed step by step when the library is too small to keep them: first
    /// both, then tracks only, then anything but what was just queued or aired last.
    static func choose(
        count: Int, from candidates: [Candidate], aired: [(trackID: Int64?, artist: String, at: Int64)], upcoming: [PlayoutItem], now: Int64,
        trackGapMillis: Int64 = 60 * 60_000, artistGapMillis: Int64 = 20 * 60_000
    ) -> [Candidate] {
        var recentTracks = Set(aired.filter { $0.at >= now - trackGapMillis }.compactMap(\.trackID))
        var recentArtists = Set(aired.filter { $0.at >= now - artistGapMillis }.map { NameKey.make($0.artist) })
        for item in upcoming {
            if let id = Int64(item.id) { recentTracks.insert(id) }
            recentArtists.insert(NameKey.make(item.artist))
        }
        let last = upcoming.last.flatMap { Int64($0.id) } ?? aired.max(by: { $0.at < $1.at })?.trackID
        var chosen: [Candidate] = []
        let rules: [(Candidate) -> Bool] = [
            { !recentTracks.contains($0.trackID) && !recentArtists.contains(NameKey.make($0.item.artist)) },
            { !recentTracks.contains($0.trackID) },
            { $0.trackID != last },
            { _ in true },
        ]
        for rule in rules where chosen.count < count {
            for candidate in candidates where chosen.count < count && rule(candidate) && !chosen.contains(where: { $0.trackID == candidate.trackID })
            {
                chosen.append(candidate)
                recentTracks.insert(candidate.trackID)
                recentArtists.insert(NameKey.make(candidate.item.artist))
            }
            if !chosen.isEmpty { break }
        }
        return chosen
    }
}

extension CatalogQueries.AirableTrack {
    /// The track as the playout airs it, from `startMs` to `endMs` (its end when nil).
    func playoutItem(startMs: Int = 0, endMs: Int? = nil, tag: String = "") -> PlayoutItem {
        PlayoutItem(
            id: String(id), path: absolutePath, title: title, artist: artist, durationMs: durationMs, startMs: startMs, endMs: endMs, tag: tag)
    }
}

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

    struct Candidate: Sendable {
        var trackID: Int64
        var item: PlayoutItem
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

    /// A random sample of what the station may air; the playout keeps it, and chooses from it
    /// even while the database is away.
    static func pool(libraries: [Int64], on db: any SQLDatabase) async throws -> [Candidate] {
        try await CatalogQueries.randomAirableTracks(libraries: libraries, limit: 200, on: db).map {
            Candidate(
                trackID: $0.id,
                item: PlayoutItem(id: String($0.id), path: $0.absolutePath, title: $0.title, artist: $0.artist, durationMs: $0.durationMs))
        }
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

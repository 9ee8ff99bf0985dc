import Foundation
import SQLKit

/// A smart block: a station playlist whose tracks are chosen by rules when it airs (AzuraCast's
/// and LibreTime's), with an order and a limit by items or by time.
struct SmartBlock: Codable, Sendable, Equatable {
    enum Sort: String, Codable, Sendable {
        case random, newest, leastRecentlyPlayed
    }

    var criteria: TrackCriteria
    var sort: Sort
    /// At most this many tracks, or about this many minutes; neither: all that match (up to `cap`).
    var limitItems: Int?
    var limitMinutes: Int?
    /// With a time limit: the last track may run past it (else only tracks that fit are taken).
    var overrun: Bool

    /// The most tracks one evaluation reads.
    static let cap = 2_000

    init(criteria: TrackCriteria, sort: Sort = .random, limitItems: Int? = nil, limitMinutes: Int? = nil, overrun: Bool = false) {
        self.criteria = criteria
        self.sort = sort
        self.limitItems = limitItems
        self.limitMinutes = limitMinutes
        self.overrun = overrun
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        criteria = try container.decodeIfPresent(TrackCriteria.self, forKey: .criteria) ?? TrackCriteria(all: true, groups: [])
        sort = try container.decodeIfPresent(Sort.self, forKey: .sort) ?? .random
        limitItems = try container.decodeIfPresent(Int.self, forKey: .limitItems)
        limitMinutes = try container.decodeIfPresent(Int.self, forKey: .limitMinutes)
        overrun = try container.decodeIfPresent(Bool.self, forKey: .overrun) ?? false
    }

    func problem() -> String? {
        if let problem = criteria.problem() { return problem }
        if let items = limitItems, !(1...Self.cap).contains(items) { return "limitItems must be 1 to \(Self.cap)." }
        if let minutes = limitMinutes, !(1...1_440).contains(minutes) { return "limitMinutes must be 1 to 1440." }
        return nil
    }

    /// The tracks the block gives now, in airing order; those in `avoiding` (taken by an earlier
    /// show) only after all the others.
    func evaluate(
        station: StationRecord, libraries: [Int64], avoiding: Set<Int64> = [], on db: any SQLDatabase
    ) async throws -> [CatalogQueries.AirableTrack] {
        let fetch = sort == .leastRecentlyPlayed || limitMinutes != nil || !avoiding.isEmpty ? Self.cap : min(limitItems ?? Self.cap, Self.cap)
        var tracks = try await CatalogQueries.tracks(
            matching: criteria, libraries: libraries, userID: station.ownerID, order: sort == .newest ? .newest : .random, limit: fetch, on: db)
        if sort == .leastRecentlyPlayed {
            // Never aired first (in random order), then the longest ago.
            let aired = try await AsRunLog.lastAired(stationID: station.id, trackIDs: tracks.map(\.id), on: db)
            tracks = tracks.enumerated().sorted { a, b in
                let (x, y) = (aired[a.element.id] ?? .min, aired[b.element.id] ?? .min)
                return x != y ? x < y : a.offset < b.offset
            }.map(\.element)
        }
        return limited(tracks.filter { !avoiding.contains($0.id) } + tracks.filter { avoiding.contains($0.id) })
    }

    /// The limit applied: by items, or by time (with or without the last track overrunning).
    func limited(_ tracks: [CatalogQueries.AirableTrack]) -> [CatalogQueries.AirableTrack] {
        var result = tracks
        if let items = limitItems { result = Array(result.prefix(items)) }
        guard let minutes = limitMinutes else { return result }
        let budget = Int64(minutes) * 60_000
        var total: Int64 = 0
        var taken: [CatalogQueries.AirableTrack] = []
        for track in result where total < budget {
            let length = Int64(max(0, track.durationMs))
            if total + length <= budget || overrun {
                taken.append(track)
                total += length
            }
        }
        return taken
    }

    static func decode(_ json: String?) -> SmartBlock? {
        guard let json, let data = json.data(using: .utf8) else { return nil }
        return try? JSONDecoder().decode(SmartBlock.self, from: data)
    }

    var json: String {
        (try? JSONEncoder().encode(self)).flatMap { String(data: $0, encoding: .utf8) } ?? "{}"
    }
}

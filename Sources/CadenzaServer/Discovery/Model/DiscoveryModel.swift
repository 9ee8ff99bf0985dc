import Fluent
import Foundation
import NIOConcurrencyHelpers
import SQLKit
import Vapor

/// The nightly model: from every shared listen on the instance, each track's and each artist's
/// nearest neighbours by co-listening (`CoListening`) and each track's listeners. Built by a
/// job over the database, the arithmetic off the event loops; requests only read its rows.
enum DiscoveryModel {
    static let buildJob = "discovery.build-model"
    static let task = PeriodicTask(name: "discovery-model", interval: 86_400, kind: buildJob)
    static let lockKey: Int64 = 7_318_000_000

    enum Kind: Int, Sendable {
        case track = 1, artist = 2
    }

    struct Summary: Content, Equatable {
        var builtAt: Int64
        var listeners: Int
        var tracks: Int
        var artists: Int
        var pairs: Int64
        var millis: Int64
    }

    static func register(_ jobs: JobRegistry) {
        jobs.register(buildJob) { context in
            let summary = try await build(on: context.database)
            context.logger.info(
                "Discovery model built: \(summary.listeners) listeners, \(summary.pairs) (listener, track) pairs, \(summary.tracks) tracks and \(summary.artists) artists with neighbours, in \(summary.millis) ms"
            )
        }
    }

    /// Queues a build now (an administrator's "rebuild"): one asked-for build waits at a time,
    /// beside the daily one, so asking while the daily build runs still reads the latest listens.
    static func enqueueBuild(on db: any SQLDatabase) async throws -> Int64? {
        try await JobQueue.enqueue(try .init(kind: buildJob, payload: [String: String](), uniqueKey: "\(buildJob):asked"), on: db)
    }

    /// The last build, if any.
    static func summary(on db: any SQLDatabase) async throws -> Summary? {
        guard let row = try await db.raw("SELECT * FROM discovery_model WHERE id = 1").first() else { return nil }
        return Summary(
            builtAt: try row.decode(column: "built_at", as: Int64.self), listeners: try row.decode(column: "listeners", as: Int.self),
            tracks: try row.decode(column: "tracks", as: Int.self), artists: try row.decode(column: "artists", as: Int.self),
            pairs: try row.decode(column: "pairs", as: Int64.self), millis: try row.decode(column: "millis", as: Int64.self))
    }

    /// What the database streams in: compact numbering of people, tracks and artists.
    private final class Gathered: @unchecked Sendable {
        let lock = NIOLock()
        var people: [Int64: Int32] = [:]
        var tracks: [Int64: Int32] = [:]
        var trackIDs: [Int64] = []
        var plays: [[(item: Int32, plays: Int64)]] = []
        var pairs: Int64 = 0
        var credits: [Int32: [Int64]] = [:]

        func add(user: Int64, track: Int64, count: Int64) {
            lock.withLock {
                let person =
                    people[user]
                    ?? {
                        let next = Int32(plays.count); people[user] = next; plays.append([]); return next
                    }()
                let item =
                    tracks[track]
                    ?? {
                        let next = Int32(trackIDs.count); tracks[track] = next; trackIDs.append(track); return next
                    }()
                plays[Int(person)].append((item, count))
                pairs += 1
            }
        }

        /// Items renumbered in track id order: rows arrive in an order each database chooses,
        /// and the model must not depend on it.
        func numberByTrackID() {
            lock.withLock {
                let order = trackIDs.indices.sorted { trackIDs[$0] < trackIDs[$1] }
                var renumber = [Int32](repeating: 0, count: trackIDs.count)
                for (new, old) in order.enumerated() { renumber[old] = Int32(new) }
                trackIDs = order.map { trackIDs[$0] }
                // People in user id order, each person's plays in item order: float sums then add
                // up in the same order on every run.
                let personOrder = people.sorted { $0.key < $1.key }.map { Int($0.value) }
                plays = personOrder.map { person in plays[person].map { (renumber[Int($0.item)], $0.plays) }.sorted { $0.item < $1.item } }
                people = Dictionary(uniqueKeysWithValues: people.sorted { $0.key < $1.key }.enumerated().map { ($1.key, Int32($0)) })
                credits = Dictionary(uniqueKeysWithValues: credits.map { (renumber[Int($0.key)], $0.value.sorted()) })
                tracks = Dictionary(uniqueKeysWithValues: trackIDs.enumerated().map { ($1, Int32($0)) })
            }
        }

        func credit(track: Int64, artist: Int64) {
            lock.withLock { if let item = tracks[track] { credits[item, default: []].append(artist) } }
        }
    }

    private struct Built: Sendable {
        var rows: [(kind: Kind, id: Int64, neighbours: String)]
        var popularity: [(track: Int64, listeners: Int, plays: Int64)]
        var tracks: Int
        var artists: Int
    }

    static func build(on database: any Database) async throws -> Summary {
        let started = Date()
        let gathered = Gathered()
        try await ListenQueries.sharedTrackCounts(on: database.sql) { gathered.add(user: $0, track: $1, count: $2) }
        try await CatalogQueries.trackArtistCredits(on: database.sql) { gathered.credit(track: $0, artist: $1) }
        let built = await runBlocking { compute(gathered) }
        let millis = Int64(Date().timeIntervalSince(started) * 1000)
        let summary = Summary(
            builtAt: Clock.nowMillis(), listeners: gathered.plays.count, tracks: built.tracks, artists: built.artists,
            pairs: gathered.pairs, millis: millis)
        try await database.writeTransaction { tx in
            let sql = tx.sql
            // Builds may overlap (the daily one and an asked-for one): on PostgreSQL the second
            // waits for the first's commit, or its inserts would meet the first's rows.
            if sql.dialect.name == "postgresql" { try await sql.raw("SELECT pg_advisory_xact_lock(\(bind: lockKey))").run() }
            try await sql.raw("DELETE FROM discovery_neighbours").run()
            try await sql.insertRows(
                into: "discovery_neighbours (kind, item_id, neighbours)",
                rows: built.rows.map { [SQLBind($0.kind.rawValue), SQLBind($0.id), SQLBind($0.neighbours)] }, maxBinds: 3000)
            try await sql.raw("DELETE FROM discovery_popularity").run()
            try await sql.insertRows(
                into: "discovery_popularity (track_id, listeners, plays)",
                rows: built.popularity.map { [SQLBind($0.track), SQLBind($0.listeners), SQLBind($0.plays)] }, maxBinds: 3000)
            try await sql.raw("DELETE FROM discovery_model").run()
            try await sql.raw(
                """
                INSERT INTO discovery_model (id, built_at, listeners, tracks, artists, pairs, millis)
                VALUES (1, \(bind: summary.builtAt), \(bind: summary.listeners), \(bind: summary.tracks), \(bind: summary.artists),
                        \(bind: summary.pairs), \(bind: summary.millis))
                """
            ).run()
        }
        return summary
    }

    /// Tracks' and artists' neighbours and tracks' listeners, from what was gathered.
    private static func compute(_ gathered: Gathered) -> Built {
        gathered.numberByTrackID()
        let engine = CoListening()
        var rows: [(kind: Kind, id: Int64, neighbours: String)] = []
        let trackNeighbours = engine.neighbours(people: gathered.plays, itemCount: gathered.trackIDs.count)
        for (item, neighbours) in trackNeighbours.enumerated() where !neighbours.isEmpty {
            rows.append((.track, gathered.trackIDs[item], encode(neighbours.map { (gathered.trackIDs[Int($0.item)], $0.score) })))
        }
        let tracks = rows.count
        // The same over artists: a person's plays of an artist are their plays of its tracks
        // (artists numbered in id order, as tracks are).
        let artistIDs = Array(Set(gathered.credits.values.joined())).sorted()
        let artistIndex = Dictionary(uniqueKeysWithValues: artistIDs.enumerated().map { ($1, Int32($0)) })
        var artistPlays: [[(item: Int32, plays: Int64)]] = []
        for plays in gathered.plays {
            var byArtist: [Int32: Int64] = [:]
            for (item, count) in plays {
                for artist in gathered.credits[item] ?? [] { if let index = artistIndex[artist] { byArtist[index, default: 0] += count } }
            }
            artistPlays.append(byArtist.map { ($0.key, $0.value) }.sorted { $0.0 < $1.0 })
        }
        let artistNeighbours = CoListening(keep: 30, perPersonCap: 300).neighbours(people: artistPlays, itemCount: artistIDs.count)
        for (item, neighbours) in artistNeighbours.enumerated() where !neighbours.isEmpty {
            rows.append((.artist, artistIDs[item], encode(neighbours.map { (artistIDs[Int($0.item)], $0.score) })))
        }
        var listeners = [Int](repeating: 0, count: gathered.trackIDs.count)
        var plays = [Int64](repeating: 0, count: gathered.trackIDs.count)
        for person in gathered.plays {
            for (item, count) in person {
                listeners[Int(item)] += 1
                plays[Int(item)] += count
            }
        }
        let popularity = gathered.trackIDs.indices.map { (gathered.trackIDs[$0], listeners[$0], plays[$0]) }
        return Built(rows: rows, popularity: popularity, tracks: tracks, artists: rows.count - tracks)
    }

    /// "id:score id:score …", scores in thousandths.
    static func encode(_ neighbours: [(Int64, Float)]) -> String {
        neighbours.map { "\($0.0):\(Int(($0.1 * 1000).rounded()))" }.joined(separator: " ")
    }

    static func decode(_ text: String) -> [(id: Int64, score: Double)] {
        text.split(separator: " ").compactMap { pair in
            let parts = pair.split(separator: ":")
            guard parts.count == 2, let id = Int64(parts[0]), let score = Int(parts[1]) else { return nil }
            return (id, Double(score) / 1000)
        }
    }

    /// The stored neighbours of each of `ids` (items without any are left out).
    static func neighbours(_ kind: Kind, of ids: [Int64], on db: any SQLDatabase) async throws -> [Int64: [(id: Int64, score: Double)]] {
        guard !ids.isEmpty else { return [:] }
        var found: [Int64: [(id: Int64, score: Double)]] = [:]
        for chunk in ids.chunked(1000) {
            for row in try await db.raw(
                """
                SELECT item_id, neighbours FROM discovery_neighbours WHERE kind = \(bind: kind.rawValue) AND item_id IN (\(SQLList(integers: chunk)))
                """
            ).all() {
                found[try row.decode(column: "item_id", as: Int64.self)] = decode(try row.decode(column: "neighbours", as: String.self))
            }
        }
        return found
    }

    /// Tracks by how many people on the instance play them (then by plays), best first.
    static func popularTracks(limit: Int, on db: any SQLDatabase) async throws -> [Int64] {
        try await db.raw(
            "SELECT track_id FROM discovery_popularity ORDER BY listeners DESC, plays DESC, track_id LIMIT \(bind: limit)"
        ).all().map { try $0.decode(column: "track_id", as: Int64.self) }
    }

    /// Listeners of each of `ids` (0 for tracks nobody shares).
    static func listeners(of ids: [Int64], on db: any SQLDatabase) async throws -> [Int64: Int] {
        var found: [Int64: Int] = [:]
        for chunk in ids.chunked(2000) {
            for row in try await db.raw(
                "SELECT track_id, listeners FROM discovery_popularity WHERE track_id IN (\(SQLList(integers: chunk)))"
            ).all() {
                found[try row.decode(column: "track_id", as: Int64.self)] = try row.decode(column: "listeners", as: Int.self)
            }
        }
        return found
    }
}

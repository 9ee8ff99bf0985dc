import Foundation
import SQLKit
import Vapor

/// What actually aired on a station (`station_plays`): written by the station's playout as
/// items start and end, read for the history, the repeat rules and the royalty export.
enum AsRunLog {
    enum Source: String, Codable, Sendable {
        case scheduled, live, autodj, fallback
    }

    struct Entry: Content {
        var trackId: String?
        var title: String
        var artist: String
        var source: Source
        var startedAt: Date
        var durationMs: Int64?
    }

    /// One write the playout makes, kept until the database takes it (it keeps airing without one).
    enum Write: Sendable, Codable {
        /// `scheduledAt`: the planned start of the schedule item it aired (nil for the rotation).
        case started(trackID: Int64?, title: String, artist: String, source: Source, at: Int64, scheduledAt: Int64? = nil)
        case finished(startedAt: Int64, durationMs: Int64)
    }

    /// Applies `write`; safe to repeat (an entry is its station and start instant).
    static func apply(_ write: Write, stationID: Int64, on db: any SQLDatabase) async throws {
        switch write {
        case .started(let trackID, let title, let artist, let source, let at, let scheduledAt):
            try await db.raw(
                """
                INSERT INTO station_plays (station_id, track_id, title, artist, source, started_at, scheduled_at)
                VALUES (\(bind: stationID), \(bind: trackID), \(bind: String(title.prefix(500))), \(bind: String(artist.prefix(500))),
                        \(bind: source.rawValue), \(bind: at), \(bind: scheduledAt))
                ON CONFLICT DO NOTHING
                """
            ).run()
        case .finished(let startedAt, let durationMs):
            try await db.raw(
                "UPDATE station_plays SET duration_ms = \(bind: durationMs) WHERE station_id = \(bind: stationID) AND started_at = \(bind: startedAt)"
            ).run()
        }
    }

    /// The entry still open (no length yet) of a station that stopped without closing it: a
    /// process that was killed or lost power while the item aired.
    static func interrupted(
        stationID: Int64, on db: any SQLDatabase
    ) async throws -> (
        trackID: Int64, startedAt: Int64, scheduledAt: Int64?
    )? {
        guard
            let row = try await db.raw(
                """
                SELECT track_id, started_at, duration_ms, scheduled_at FROM station_plays WHERE station_id = \(bind: stationID)
                ORDER BY started_at DESC, id DESC LIMIT 1
                """
            ).first(),
            try row.decode(column: "duration_ms", as: Int64?.self) == nil,
            let track = try row.decode(column: "track_id", as: Int64?.self)
        else { return nil }
        return (track, try row.decode(column: "started_at", as: Int64.self), try row.decode(column: "scheduled_at", as: Int64?.self))
    }

    /// The newest entries first, of those that began in `from..<to` (epoch ms) when given.
    static func recent(stationID: Int64, limit: Int, from: Int64? = nil, to: Int64? = nil, on db: any SQLDatabase) async throws -> [Entry] {
        try await db.raw(
            """
            SELECT track_id, title, artist, source, started_at, duration_ms FROM station_plays
            WHERE station_id = \(bind: stationID) AND started_at >= \(bind: from ?? Int64.min) AND started_at < \(bind: to ?? Int64.max)
            ORDER BY started_at DESC, id DESC LIMIT \(bind: limit)
            """
        ).all().map { row in
            Entry(
                trackId: try row.decode(column: "track_id", as: Int64?.self).map(String.init),
                title: try row.decode(column: "title", as: String.self), artist: try row.decode(column: "artist", as: String.self),
                source: Source(rawValue: try row.decode(column: "source", as: String.self)) ?? .autodj,
                startedAt: Clock.date(try row.decode(column: "started_at", as: Int64.self)),
                durationMs: try row.decode(column: "duration_ms", as: Int64?.self))
        }
    }

    /// What began since `millis`, with how long each played (nil: still on air, or interrupted).
    static func plays(
        stationID: Int64, since millis: Int64, on db: any SQLDatabase
    ) async throws -> [(
        trackID: Int64?, startedAt: Int64, durationMs: Int64?
    )] {
        try await db.raw(
            """
            SELECT track_id, started_at, duration_ms FROM station_plays WHERE station_id = \(bind: stationID) AND started_at >= \(bind: millis)
            """
        ).all().map {
            (
                try $0.decode(column: "track_id", as: Int64?.self), try $0.decode(column: "started_at", as: Int64.self),
                try $0.decode(column: "duration_ms", as: Int64?.self)
            )
        }
    }

    /// Tracks and artists aired since `millis`, for the autoDJ's repeat rules.
    static func airedSince(stationID: Int64, millis: Int64, on db: any SQLDatabase) async throws -> [(trackID: Int64?, artist: String, at: Int64)] {
        try await db.raw(
            "SELECT track_id, artist, started_at FROM station_plays WHERE station_id = \(bind: stationID) AND started_at >= \(bind: millis)"
        ).all().map {
            (
                try $0.decode(column: "track_id", as: Int64?.self), try $0.decode(column: "artist", as: String.self),
                try $0.decode(column: "started_at", as: Int64.self)
            )
        }
    }
}

extension AsRunLog {
    /// When the station last aired each of `trackIDs` (those it never aired are absent).
    static func lastAired(stationID: Int64, trackIDs: [Int64], on db: any SQLDatabase) async throws -> [Int64: Int64] {
        var result: [Int64: Int64] = [:]
        for batch in stride(from: 0, to: trackIDs.count, by: 500).map({ Array(trackIDs[$0..<min($0 + 500, trackIDs.count)]) }) {
            let rows = try await db.raw(
                """
                SELECT track_id, MAX(started_at) AS at FROM station_plays
                WHERE station_id = \(bind: stationID) AND track_id IN (\(SQLList(batch.map { SQLBind($0) }))) GROUP BY track_id
                """
            ).all()
            for row in rows { result[try row.decode(column: "track_id", as: Int64.self)] = try row.decode(column: "at", as: Int64.self) }
        }
        return result
    }
}

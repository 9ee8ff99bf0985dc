import CadenzaPlayout
import Foundation
import SQLKit

/// A station's own playlists (`station_playlists`): ordered tracks with optional cue points,
/// the content shows air. Written only here.
enum RadioPlaylists {
    struct Entry: Sendable, Equatable {
        var trackID: Int64
        var cueInMs: Int?
        var cueOutMs: Int?
        /// The crossfade into this entry and out of it, instead of the station's.
        var fadeInMs: Int? = nil
        var fadeOutMs: Int? = nil

        /// The entry as the playout airs it: between its cue points, with its own fades.
        func playoutItem(of track: CatalogQueries.AirableTrack, tag: String = "") -> PlayoutItem {
            var item = track.playoutItem(startMs: cueInMs ?? 0, endMs: cueOutMs, tag: tag)
            item.fadeInMs = fadeInMs
            item.fadeOutMs = fadeOutMs
            return item
        }
    }

    struct Summary: Sendable {
        var id: Int64
        var name: String
        var entries: Int
        var updatedAt: Int64
        /// A smart block's rules (nil: a static playlist of entries).
        var smart: SmartBlock?
        /// Its share of the autoDJ rotation (0: not in the rotation).
        var rotationWeight: Int
    }

    static let maxEntries = 2_000

    static func list(stationID: Int64, on db: any SQLDatabase) async throws -> [Summary] {
        try await db.raw(
            """
            SELECT p.id, p.name, p.updated_at, p.smart, p.rotation_weight,
                   (SELECT COUNT(*) FROM station_playlist_entries e WHERE e.playlist_id = p.id) AS n
            FROM station_playlists p WHERE p.station_id = \(bind: stationID) ORDER BY p.name, p.id
            """
        ).all().map {
            Summary(
                id: try $0.decode(column: "id", as: Int64.self), name: try $0.decode(column: "name", as: String.self),
                entries: try $0.decode(column: "n", as: Int.self), updatedAt: try $0.decode(column: "updated_at", as: Int64.self),
                smart: SmartBlock.decode(try $0.decode(column: "smart", as: String?.self)),
                rotationWeight: try $0.decode(column: "rotation_weight", as: Int.self))
        }
    }

    static func find(id: Int64, stationID: Int64, on db: any SQLDatabase) async throws -> Summary? {
        try await list(stationID: stationID, on: db).first { $0.id == id }
    }

    /// The entries of each playlist, in order.
    static func entries(_ ids: [Int64], on db: any SQLDatabase) async throws -> [Int64: [Entry]] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await db.raw(
            """
            SELECT playlist_id, track_id, cue_in_ms, cue_out_ms, fade_in_ms, fade_out_ms FROM station_playlist_entries
            WHERE playlist_id IN (\(SQLList(ids.map { SQLBind($0) }))) ORDER BY playlist_id, position
            """
        ).all()
        var result: [Int64: [Entry]] = [:]
        for row in rows {
            result[try row.decode(column: "playlist_id", as: Int64.self), default: []].append(
                Entry(
                    trackID: try row.decode(column: "track_id", as: Int64.self), cueInMs: try row.decode(column: "cue_in_ms", as: Int?.self),
                    cueOutMs: try row.decode(column: "cue_out_ms", as: Int?.self), fadeInMs: try row.decode(column: "fade_in_ms", as: Int?.self),
                    fadeOutMs: try row.decode(column: "fade_out_ms", as: Int?.self)))
        }
        return result
    }

    static func create(
        stationID: Int64, name: String, entries: [Entry], smart: SmartBlock? = nil, rotationWeight: Int = 0, on db: any SQLDatabase
    ) async throws -> Int64 {
        let now = Clock.nowMillis()
        let row = try await db.raw(
            """
            INSERT INTO station_playlists (station_id, name, smart, rotation_weight, created_at, updated_at)
            VALUES (\(bind: stationID), \(bind: name), \(bind: smart?.json), \(bind: rotationWeight), \(bind: now), \(bind: now)) RETURNING id
            """
        ).first()
        guard let id = try row?.decode(column: "id", as: Int64.self) else { throw APIError.conflict("The playlist was not created.") }
        try await replaceEntries(id, entries, on: db)
        return id
    }

    static func rename(_ id: Int64, to name: String, on db: any SQLDatabase) async throws {
        try await db.raw("UPDATE station_playlists SET name = \(bind: name), updated_at = \(bind: Clock.nowMillis()) WHERE id = \(bind: id)").run()
    }

    /// Makes the playlist a smart block with these rules, or (nil) a static playlist again.
    static func setSmart(_ id: Int64, _ smart: SmartBlock?, on db: any SQLDatabase) async throws {
        try await db.raw("UPDATE station_playlists SET smart = \(bind: smart?.json), updated_at = \(bind: Clock.nowMillis()) WHERE id = \(bind: id)")
            .run()
    }

    static func setRotationWeight(_ id: Int64, _ weight: Int, on db: any SQLDatabase) async throws {
        try await db.raw("UPDATE station_playlists SET rotation_weight = \(bind: weight) WHERE id = \(bind: id)").run()
    }

    /// What each playlist airs now: a static one's entries, a smart block's tracks as chosen at
    /// this moment (for the station's libraries, its owner's ratings, its own as-run log).
    static func resolve(
        _ ids: [Int64], station: StationRecord, libraries: [Int64], on db: any SQLDatabase
    ) async throws -> [Int64: [Entry]] {
        guard !ids.isEmpty else { return [:] }
        var result = try await entries(ids, on: db)
        let wanted = Set(ids)
        for playlist in try await list(stationID: station.id, on: db) where wanted.contains(playlist.id) {
            guard let smart = playlist.smart else { continue }
            result[playlist.id] = try await smart.evaluate(station: station, libraries: libraries, on: db).map {
                Entry(trackID: $0.id, cueInMs: nil, cueOutMs: nil)
            }
        }
        return result
    }

    static func replaceEntries(_ id: Int64, _ entries: [Entry], on db: any SQLDatabase) async throws {
        try await db.raw("DELETE FROM station_playlist_entries WHERE playlist_id = \(bind: id)").run()
        for start in stride(from: 0, to: entries.count, by: 150) {
            let rows = entries[start..<min(start + 150, entries.count)].enumerated().map { offset, entry in
                SQLGroupExpression(
                    [
                        SQLBind(id), SQLBind(start + offset), SQLBind(entry.trackID), SQLBind(entry.cueInMs), SQLBind(entry.cueOutMs),
                        SQLBind(entry.fadeInMs), SQLBind(entry.fadeOutMs),
                    ] as [any SQLExpression])
            }
            try await db.raw(
                "INSERT INTO station_playlist_entries (playlist_id, position, track_id, cue_in_ms, cue_out_ms, fade_in_ms, fade_out_ms) VALUES \(SQLList(rows))"
            ).run()
        }
        try await db.raw("UPDATE station_playlists SET updated_at = \(bind: Clock.nowMillis()) WHERE id = \(bind: id)").run()
    }

    /// Shows that aired it fall back to the rotation (the same on both databases, whatever
    /// their foreign-key settings).
    static func delete(_ id: Int64, on db: any SQLDatabase) async throws {
        try await db.raw("UPDATE station_shows SET playlist_id = NULL WHERE playlist_id = \(bind: id)").run()
        try await db.raw("UPDATE stations SET jingle_playlist_id = NULL WHERE jingle_playlist_id = \(bind: id)").run()
        try await db.raw("UPDATE station_show_exceptions SET playlist_id = NULL WHERE playlist_id = \(bind: id)").run()
        try await db.raw("DELETE FROM station_playlist_entries WHERE playlist_id = \(bind: id)").run()
        try await db.raw("DELETE FROM station_playlists WHERE id = \(bind: id)").run()
    }
}

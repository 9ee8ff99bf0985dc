import CadenzaPlayout
import Foundation
import SQLKit

/// What the playout reads of the schedule: the items of the coming hours with their files,
/// kept in memory so the station airs them through a database outage.
enum ScheduleWindow {
    struct Item: Sendable, Hashable, Codable {
        var showID: Int64
        var showTitle: String
        var occurrenceStart: Int64
        var occurrenceEnd: Int64
        var startsAt: Int64
        var endsAt: Int64
        var cueInMs: Int
        var cueOutMs: Int?
        var trackID: Int64
        var title: String
        var artist: String
        var durationMs: Int
        var path: String
        /// The loudness normalisation's gain (dB) for the station's target.
        var gainDB: Double = 0
        /// The show's outro, aired by a cut at its instant (optional: older state files lack it).
        var outro: Bool? = nil
        /// The playlist entry's own fades.
        var fadeInMs: Int? = nil
        var fadeOutMs: Int? = nil

        var isOutro: Bool { outro == true }

        /// The item as the engine plays it, from `offsetMs` into its planned length.
        func playoutItem(offsetMs: Int = 0) -> PlayoutItem {
            var item = PlayoutItem(
                id: String(trackID), path: path, title: title, artist: artist, durationMs: durationMs, startMs: cueInMs + max(0, offsetMs),
                endMs: cueOutMs, tag: "s\(startsAt)")
            item.gainDB = gainDB
            item.fadeInMs = fadeInMs
            item.fadeOutMs = fadeOutMs
            return item
        }
    }

    /// One show airing: where its cuts fall.
    struct Occurrence: Sendable, Equatable {
        var showID: Int64
        var title: String
        var start: Int64
        var end: Int64
    }

    static func load(
        stationID: Int64, from: Int64, to: Int64, libraries: [Int64], targetLUFS: Int? = nil, on db: any SQLDatabase
    ) async throws -> [Item] {
        let rows = try await db.raw(
            """
            SELECT s.show_id, sh.title AS show_title, s.occurrence_start, s.occurrence_end, s.starts_at, s.ends_at, s.track_id,
                   s.cue_in_ms, s.cue_out_ms, s.outro, s.fade_in_ms, s.fade_out_ms
            FROM station_schedule s JOIN station_shows sh ON sh.id = s.show_id
            WHERE s.station_id = \(bind: stationID) AND s.occurrence_end > \(bind: from) AND s.starts_at < \(bind: to)
            ORDER BY s.starts_at
            """
        ).all()
        let ids = try rows.map { try $0.decode(column: "track_id", as: Int64.self) }
        let tracks = try await CatalogQueries.airableTracks(ids: Array(Set(ids)), libraries: libraries, on: db)
        let loudness = targetLUFS == nil ? [:] : try await TrackLoudness.usable(trackIDs: Array(tracks.keys), on: db)
        return try rows.compactMap { row in
            guard let track = tracks[try row.decode(column: "track_id", as: Int64.self)] else { return nil }
            return Item(
                showID: try row.decode(column: "show_id", as: Int64.self), showTitle: try row.decode(column: "show_title", as: String.self),
                occurrenceStart: try row.decode(column: "occurrence_start", as: Int64.self),
                occurrenceEnd: try row.decode(column: "occurrence_end", as: Int64.self),
                startsAt: try row.decode(column: "starts_at", as: Int64.self),
                endsAt: try row.decode(column: "ends_at", as: Int64.self), cueInMs: try row.decode(column: "cue_in_ms", as: Int.self),
                cueOutMs: try row.decode(column: "cue_out_ms", as: Int?.self), trackID: track.id, title: track.title, artist: track.artist,
                durationMs: track.durationMs, path: track.absolutePath,
                gainDB: targetLUFS.flatMap { target in loudness[track.id]?.gainDB(targetLUFS: Double(target)) } ?? 0,
                outro: try row.decode(column: "outro", as: Bool.self) ? true : nil, fadeInMs: try row.decode(column: "fade_in_ms", as: Int?.self),
                fadeOutMs: try row.decode(column: "fade_out_ms", as: Int?.self))
        }
    }

    /// The occurrences the items belong to (the latest-planned end wins, should rows disagree).
    static func occurrences(_ items: [Item]) -> [Occurrence] {
        var seen: [Int64: Occurrence] = [:]
        for item in items {
            if let known = seen[item.occurrenceStart], known.end >= item.occurrenceEnd, known.showID == item.showID { continue }
            seen[item.occurrenceStart] = Occurrence(showID: item.showID, title: item.showTitle, start: item.occurrenceStart, end: item.occurrenceEnd)
        }
        return seen.values.sorted { $0.start < $1.start }
    }
}

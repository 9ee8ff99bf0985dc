import Fluent
import CadenzaPlayout
import Foundation
import SQLKit

/// Materialises a station's shows into `station_schedule`: exact instants per item, some
/// hours ahead, by a job (queued when a show or playlist changes, and periodically). Only the
/// future is regenerated: what airs in the next seconds stays as the playout already has it.
enum ScheduleBuilder {
    static let jobKind = "radio.schedule"
    static let periodic = PeriodicTask(name: "radio-schedule", interval: 600, kind: jobKind)
    /// What is about to air is left alone: the playout may have queued it already.
    static let frozenMillis: Int64 = 15_000

    struct Payload: Codable {
        /// Nil: every station (the periodic run).
        var stationId: Int64?
    }

    struct Item: Sendable, Equatable {
        var showID: Int64
        var occurrenceStart: Int64
        var occurrenceEnd: Int64
        var startsAt: Int64
        var endsAt: Int64
        var trackID: Int64
        var cueInMs: Int
        var cueOutMs: Int?
        /// The show's outro: aired by a cut at its instant, never queued after the content.
        var outro = false
        /// The playlist entry's own fades.
        var fadeInMs: Int? = nil
        var fadeOutMs: Int? = nil
    }

    static func register(on jobs: JobRegistry, hours: @escaping @Sendable () -> Int) {
        jobs.register(jobKind) { context in
            let payload = try context.job.decodePayload(Payload.self)
            // A burst of changes queues a burst of builds: the last one queued does the work.
            let later =
                try await context.db.raw(
                    """
                    SELECT COUNT(*) AS n FROM jobs WHERE kind = \(bind: jobKind) AND state = 'queued' AND payload = \(bind: context.job.payload)
                    AND id > \(bind: context.job.id)
                    """
                ).first()?.decode(column: "n", as: Int.self) ?? 0
            guard later == 0 else { return }
            let stations = try await Stations.all(on: context.db).filter { payload.stationId == nil || $0.id == payload.stationId }
            for station in stations {
                try await build(station, now: Clock.nowMillis(), hours: hours(), fluent: context.database)
            }
        }
    }

    /// Queues a rebuild of one station's schedule (inside the transaction of the change). Not
    /// deduplicated: a build already running may have read the shows before this change.
    static func enqueue(stationID: Int64, on db: any SQLDatabase) async throws {
        try await JobQueue.enqueue(.init(kind: jobKind, payload: Payload(stationId: stationID)), on: db)
    }

    /// The items of each occurrence: the show's intro at its start, its playlist's entries back
    /// to back after it, and its outro placed to end at the occurrence's end, cutting the
    /// content where it begins (or the occurrence's end does, without an outro). An under-filled
    /// occurrence leaves the rest to the rotation. An entry without cue points of its own is
    /// trimmed where the loudness analysis found silence.
    static func items(
        for occurrences: [PlannedOccurrence], entries: [Int64: [RadioPlaylists.Entry]], tracks: [Int64: CatalogQueries.AirableTrack],
        loudness: [Int64: LoudnessAnalysis] = [:], perOccurrence: [Int64: [RadioPlaylists.Entry]] = [:]
    ) -> [Item] {
        var items: [Item] = []
        for occurrence in occurrences where !occurrence.cancelled {
            let show = occurrence.show
            // Where a track airs from and to: hand cue points first, then the analysed ones.
            func span(_ entry: RadioPlaylists.Entry) -> (track: CatalogQueries.AirableTrack, cueIn: Int, cueOut: Int, setOut: Int?)? {
                guard let track = tracks[entry.trackID] else { return nil }
                let analysis = loudness[track.id]
                let cueIn = max(0, entry.cueInMs ?? analysis?.cueInMs ?? 0)
                let setOut = entry.cueOutMs ?? analysis?.cueOutMs
                let cueOut = min(track.durationMs, setOut ?? track.durationMs)
                return cueOut > cueIn ? (track, cueIn, cueOut, setOut) : nil
            }
            func item(_ span: (track: CatalogQueries.AirableTrack, cueIn: Int, cueOut: Int, setOut: Int?), at: Int64, until: Int64) -> Item {
                Item(
                    showID: show.id, occurrenceStart: occurrence.start, occurrenceEnd: occurrence.end, startsAt: at,
                    endsAt: min(at + Int64(span.cueOut - span.cueIn), until), trackID: span.track.id, cueInMs: span.cueIn,
                    cueOutMs: span.setOut.map { _ in span.cueOut })
            }
            var at = occurrence.start
            if let id = show.introTrackID, let intro = span(.init(trackID: id, cueInMs: nil, cueOutMs: nil)) {
                items.append(item(intro, at: at, until: occurrence.end))
                at += Int64(intro.cueOut - intro.cueIn)
            }
            var contentEnd = occurrence.end
            var outro: Item?
            if let id = show.outroTrackID, let span = span(.init(trackID: id, cueInMs: nil, cueOutMs: nil)) {
                let start = max(at, occurrence.end - Int64(span.cueOut - span.cueIn))
                if start < occurrence.end {
                    outro = item(span, at: start, until: occurrence.end)
                    outro?.outro = true
                    contentEnd = start
                }
            }
            let content = occurrence.playlistID.map { perOccurrence[occurrence.start] ?? entries[$0] ?? [] } ?? []
            for entry in content {
                guard at < contentEnd else { break }
                guard let span = span(entry) else { continue }
                var planned = item(span, at: at, until: contentEnd)
                planned.fadeInMs = entry.fadeInMs
                planned.fadeOutMs = entry.fadeOutMs
                items.append(planned)
                at += Int64(span.cueOut - span.cueIn)
            }
            if let outro { items.append(outro) }
        }
        return items
    }

    /// A smart block's tracks for each occurrence that airs one, chosen afresh per occurrence;
    /// what an earlier occurrence of this build took goes last, so two days' shows differ.
    static func smartEntries(
        _ occurrences: [PlannedOccurrence], station: StationRecord, libraries: [Int64], on db: any SQLDatabase
    ) async throws -> [Int64: [RadioPlaylists.Entry]] {
        let smart = try await RadioPlaylists.list(stationID: station.id, on: db).reduce(into: [Int64: SmartBlock]()) { found, playlist in
            if let block = playlist.smart { found[playlist.id] = block }
        }
        guard !smart.isEmpty else { return [:] }
        var result: [Int64: [RadioPlaylists.Entry]] = [:]
        var used = Set<Int64>()
        for occurrence in occurrences where !occurrence.cancelled {
            guard let id = occurrence.playlistID, let block = smart[id] else { continue }
            let tracks = try await block.evaluate(station: station, libraries: libraries, avoiding: used, on: db)
            used.formUnion(tracks.map(\.id))
            result[occurrence.start] = tracks.map { RadioPlaylists.Entry(trackID: $0.id, cueInMs: nil, cueOutMs: nil) }
        }
        return result
    }

    /// Builds run one at a time per station (the station's row is locked), each reading the
    /// shows as committed when it starts: the last build always sees the last change.
    static func build(_ station: StationRecord, now: Int64, hours: Int, fluent: any Database) async throws {
        let zone = TimeZone(identifier: station.timeZone) ?? .gmt
        let to = now + Int64(hours) * 3_600_000
        let cutoff = now + frozenMillis
        let libraries = try await AutoDJ.libraries(for: station, on: fluent)
        try await fluent.writeTransaction { tx in
            let sql = tx.sql
            if sql.isPostgres { try await sql.raw("SELECT id FROM stations WHERE id = \(bind: station.id) FOR UPDATE").run() }
            let shows = try await Shows.all(stationID: station.id, on: sql)
            let occurrences = Shows.plan(
                shows, exceptions: try await Shows.exceptions(stationID: station.id, on: sql), from: now, to: to, zone: zone)
            let entries = try await RadioPlaylists.entries(Array(Set(occurrences.compactMap(\.playlistID))), on: sql)
            let smart = try await smartEntries(occurrences, station: station, libraries: libraries, on: sql)
            let framing = occurrences.flatMap { [$0.show.introTrackID, $0.show.outroTrackID] }.compactMap { $0 }
            let tracks = try await CatalogQueries.airableTracks(
                ids: Array(Set(entries.values.flatMap { $0.map(\.trackID) } + smart.values.flatMap { $0.map(\.trackID) } + framing)),
                libraries: libraries, on: sql)
            let planned = items(
                for: occurrences, entries: entries, tracks: tracks, loudness: try await TrackLoudness.usable(trackIDs: Array(tracks.keys), on: sql),
                perOccurrence: smart)
            // Occurrences under way keep the items the playout may have; their end follows the
            // show's (lengthened or shortened on air), and those no longer planned (cancelled,
            // moved, their show changed) are taken out.
            let kept = try await sql.raw(
                """
                SELECT DISTINCT show_id, occurrence_start FROM station_schedule
                WHERE station_id = \(bind: station.id) AND starts_at < \(bind: cutoff) AND ends_at > \(bind: now)
                """
            ).all().map { (try $0.decode(column: "show_id", as: Int64.self), try $0.decode(column: "occurrence_start", as: Int64.self)) }
            var begun = Set<Int64>()
            for (showID, start) in kept {
                if let occurrence = occurrences.first(where: { $0.show.id == showID && $0.start == start && !$0.cancelled }) {
                    begun.insert(start)
                    try await sql.raw(
                        """
                        UPDATE station_schedule SET occurrence_end = \(bind: occurrence.end)
                        WHERE station_id = \(bind: station.id) AND show_id = \(bind: showID) AND occurrence_start = \(bind: start)
                        """
                    ).run()
                } else {
                    try await sql.raw(
                        """
                        DELETE FROM station_schedule
                        WHERE station_id = \(bind: station.id) AND show_id = \(bind: showID) AND occurrence_start = \(bind: start)
                        """
                    ).run()
                }
            }
            // An occurrence about to begin that has no items yet (a show made for the next
            // minute) gets them all.
            let fresh = planned.filter { $0.startsAt >= cutoff || ($0.endsAt > now && !begun.contains($0.occurrenceStart)) }
            try await sql.raw("DELETE FROM station_schedule WHERE station_id = \(bind: station.id) AND starts_at >= \(bind: cutoff)").run()
            // A day of what aired stays for the playout's resume; older rows go.
            try await sql.raw("DELETE FROM station_schedule WHERE station_id = \(bind: station.id) AND ends_at < \(bind: now - 86_400_000)").run()
            for start in stride(from: 0, to: fresh.count, by: 100) {
                let rows = fresh[start..<min(start + 100, fresh.count)].map { item in
                    SQLGroupExpression(
                        [
                            SQLBind(station.id), SQLBind(item.showID), SQLBind(item.occurrenceStart), SQLBind(item.occurrenceEnd),
                            SQLBind(item.startsAt), SQLBind(item.endsAt), SQLBind(item.trackID), SQLBind(item.cueInMs), SQLBind(item.cueOutMs),
                            SQLBind(item.outro), SQLBind(item.fadeInMs), SQLBind(item.fadeOutMs),
                        ] as [any SQLExpression])
                }
                try await sql.raw(
                    """
                    INSERT INTO station_schedule (station_id, show_id, occurrence_start, occurrence_end, starts_at, ends_at, track_id,
                        cue_in_ms, cue_out_ms, outro, fade_in_ms, fade_out_ms)
                    VALUES \(SQLList(rows)) ON CONFLICT DO NOTHING
                    """
                ).run()
            }
        }
    }
}

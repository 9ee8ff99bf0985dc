import CadenzaPlayout
import Foundation
import SQLKit

/// The radio feature's queries over `station_track_loudness` (written only here): what the
/// analysis found for each track, and how a station's items use it.
enum TrackLoudness {
    struct Row: Sendable, Equatable {
        var analysis: LoudnessAnalysis
        var fileSize: Int64
        var fileMtime: Int64
        var failed: Bool
    }

    /// The analyses of `trackIDs` that exist (stale or not), by track.
    static func rows(trackIDs: [Int64], on db: any SQLDatabase) async throws -> [Int64: Row] {
        guard !trackIDs.isEmpty else { return [:] }
        var found: [Int64: Row] = [:]
        for batch in stride(from: 0, to: trackIDs.count, by: 500).map({ Array(trackIDs[$0..<min($0 + 500, trackIDs.count)]) }) {
            let rows = try await db.raw(
                """
                SELECT track_id, file_size, file_mtime, integrated_lufs, peak_dbfs, cue_in_ms, cue_out_ms, failed
                FROM station_track_loudness WHERE track_id IN (\(SQLList(batch.map { SQLBind($0) })))
                """
            ).all()
            for row in rows {
                found[try row.decode(column: "track_id", as: Int64.self)] = Row(
                    analysis: LoudnessAnalysis(
                        integratedLUFS: try row.decode(column: "integrated_lufs", as: Double?.self),
                        peakDBFS: try row.decode(column: "peak_dbfs", as: Double?.self), cueInMs: try row.decode(column: "cue_in_ms", as: Int.self),
                        cueOutMs: try row.decode(column: "cue_out_ms", as: Int?.self)),
                    fileSize: try row.decode(column: "file_size", as: Int64.self), fileMtime: try row.decode(column: "file_mtime", as: Int64.self),
                    failed: try row.decode(column: "failed", as: Bool.self))
            }
        }
        return found
    }

    /// The analyses that can be used (not failed), by track.
    static func usable(trackIDs: [Int64], on db: any SQLDatabase) async throws -> [Int64: LoudnessAnalysis] {
        try await rows(trackIDs: trackIDs, on: db).compactMapValues { $0.failed ? nil : $0.analysis }
    }

    static func save(trackID: Int64, file: CatalogQueries.AirableFile, analysis: LoudnessAnalysis?, on db: any SQLDatabase) async throws {
        let result = analysis ?? LoudnessAnalysis(integratedLUFS: nil, peakDBFS: nil, cueInMs: 0, cueOutMs: nil)
        try await db.raw(
            """
            INSERT INTO station_track_loudness
              (track_id, file_size, file_mtime, integrated_lufs, peak_dbfs, cue_in_ms, cue_out_ms, failed, analysed_at)
            VALUES (\(bind: trackID), \(bind: file.size), \(bind: file.mtime), \(bind: result.integratedLUFS), \(bind: result.peakDBFS),
                    \(bind: result.cueInMs), \(bind: result.cueOutMs), \(bind: analysis == nil), \(bind: Clock.nowMillis()))
            ON CONFLICT (track_id) DO UPDATE SET file_size = excluded.file_size, file_mtime = excluded.file_mtime,
              integrated_lufs = excluded.integrated_lufs, peak_dbfs = excluded.peak_dbfs, cue_in_ms = excluded.cue_in_ms,
              cue_out_ms = excluded.cue_out_ms, failed = excluded.failed, analysed_at = excluded.analysed_at
            """
        ).run()
    }
}

extension PlayoutItem {
    /// The item trimmed of the silence the analysis found at its ends (where no cue point was
    /// set by hand) and brought to the station's loudness target (nil: left as it is).
    func applying(_ analysis: LoudnessAnalysis?, targetLUFS: Int?) -> PlayoutItem {
        guard let analysis else { return self }
        var item = self
        if item.startMs == 0 { item.startMs = min(analysis.cueInMs, max(0, durationMs - 1_000)) }
        if item.endMs == nil, let out = analysis.cueOutMs, out > item.startMs { item.endMs = out }
        if let target = targetLUFS { item.gainDB = analysis.gainDB(targetLUFS: Double(target)) }
        return item
    }
}

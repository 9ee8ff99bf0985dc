import CadenzaPlayout
import Fluent
import Foundation
import SQLKit

/// The job that analyses the loudness and silent ends of every track the stations may air, once
/// per version of its file: queued when a station is made, every ten minutes (new files), and
/// by itself while work remains. One run analyses a bounded batch, so it never holds a worker
/// for hours; a restart loses at most the file under analysis.
enum LoudnessJob {
    static let kind = "radio.loudness"
    static let periodic = PeriodicTask(name: "radio-loudness", interval: 600, kind: kind)
    /// Files analysed per run, and tracks looked at per page.
    static let batch = 40
    static let page = 500

    struct Payload: Codable {
        /// Tracks up to this id were looked at by the run before.
        var after: Int64?
    }

    static func register(on jobs: JobRegistry, ffmpeg: String) {
        jobs.register(kind) { context in
            let payload = (try? context.job.decodePayload(Payload.self)) ?? Payload()
            // A fresh run (periodic, or a new station) gives way to a chain already going through
            // the library; a chained run is that chain and always goes on.
            if payload.after == nil {
                let others =
                    try await context.db.raw(
                        "SELECT COUNT(*) AS n FROM jobs WHERE kind = \(bind: kind) AND state IN ('queued', 'running') AND id <> \(bind: context.job.id)"
                    ).first()?.decode(column: "n", as: Int.self) ?? 0
                guard others == 0 else { return }
            }
            let libraries = try await stationLibraries(on: context.database)
            guard let next = try await run(libraries: libraries, after: payload.after ?? 0, ffmpeg: ffmpeg, on: context.db) else { return }
            try await JobQueue.enqueue(.init(kind: kind, payload: Payload(after: next), priority: -1), on: context.db)
        }
    }

    static func enqueue(on db: any SQLDatabase) async throws {
        try await JobQueue.enqueue(.init(kind: kind, payload: Payload(), priority: -1), on: db)
    }

    /// Every library some station plays from.
    static func stationLibraries(on db: any Database) async throws -> [Int64] {
        var libraries = Set<Int64>()
        for station in try await Stations.all(on: db.sql) { libraries.formUnion(try await AutoDJ.libraries(for: station, on: db)) }
        return libraries.sorted()
    }

    /// Analyses up to `batch` files of the `libraries` after track `after` that have no analysis
    /// of their current version; returns where the next run starts, or nil when the end is reached.
    static func run(libraries: [Int64], after: Int64, ffmpeg: String, on db: any SQLDatabase) async throws -> Int64? {
        var cursor = after
        var analysed = 0
        while analysed < batch {
            let (files, reached) = try await CatalogQueries.airableFiles(libraries: libraries, afterTrackID: cursor, limit: page, on: db)
            let known = try await TrackLoudness.rows(trackIDs: files.map(\.trackID), on: db)
            for file in files {
                if let row = known[file.trackID], row.fileSize == file.size, row.fileMtime == file.mtime {
                    cursor = file.trackID
                    continue
                }
                guard analysed < batch else { return cursor }
                // ffmpeg missing or not starting is the job's failure (retried), not the file's.
                let result = try await runBlockingThrowing {
                    try LoudnessAnalysis.analyse(path: file.absolutePath, durationMs: file.durationMs, ffmpeg: ffmpeg)
                }
                try await TrackLoudness.save(trackID: file.trackID, file: file, analysis: result, on: db)
                analysed += 1
                cursor = file.trackID
            }
            guard let reached else { return nil }
            cursor = reached
        }
        return cursor
    }
}

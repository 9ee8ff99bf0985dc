import Fluent
import SQLKit

/// Migration 029 - each track's loudness and cue points as analysed for radio (ffmpeg's ebur128
/// and silencedetect, once per file version), and each station's loudness target.
struct M029_CreateTrackLoudness: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("station_track_loudness")
            .field("track_id", .int64, .identifier(auto: false), .references("tracks", "id", onDelete: .cascade))
            // The file as analysed: a rescan that changes it makes the analysis stale.
            .field("file_size", .int64, .required)
            .field("file_mtime", .int64, .required)
            // Null: silence (nothing above the gate), or a file ffmpeg could not decode (`failed`).
            .field("integrated_lufs", .double)
            .field("peak_dbfs", .double)
            .field("cue_in_ms", .int, .required)
            .field("cue_out_ms", .int)
            .field("failed", .bool, .required)
            .field("analysed_at", .int64, .required)
            .create()
        // Null target: the station airs files at their own loudness.
        try await database.sql.raw("ALTER TABLE stations ADD COLUMN target_lufs INTEGER DEFAULT -16").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("stations").deleteField("target_lufs").update()
        try await database.schema("station_track_loudness").delete()
    }
}

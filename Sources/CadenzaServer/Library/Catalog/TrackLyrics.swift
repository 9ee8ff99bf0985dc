import CadenzaTags
import Foundation
import SQLKit
import Vapor

/// A track's lyrics: a sidecar `.lrc` next to the audio wins (it is usually synced), else the
/// lyrics embedded in the file's tags. Read by the web app's now-playing view and by Subsonic.
struct TrackLyrics: Content {
    struct Line: Content {
        /// Milliseconds from the start, when the lyrics are synced.
        var startMs: Int?
        var text: String
    }

    var artist: String
    var title: String
    var synced: Bool
    var lines: [Line]

    /// nil when the track is not visible to the caller; no lines when it has no lyrics.
    static func load(trackID: Int64, visible: [Int64], on db: any SQLDatabase) async throws -> TrackLyrics? {
        let tracks = try await CatalogQueries.tracks(visible: visible, paging: .init(limit: 1, offset: 0), ids: [trackID], on: db)
        guard let track = tracks.first else { return nil }
        var text: String?
        if let fileID = try await CatalogQueries.primaryFileID(trackID: trackID, visible: visible, on: db),
            let found = try await CatalogQueries.streamableFile(id: fileID, visible: visible, on: db)
        {
            let sidecar = (found.absolutePath as NSString).deletingPathExtension + ".lrc"
            if let data = await runBlocking({ BoundedFile.read(sidecar, limit: 1 << 20) }) {
                text = String(decoding: data, as: UTF8.self)
            }
        }
        if text == nil {
            text = try await CatalogQueries.embeddedLyrics(trackID: trackID, on: db)
        }
        guard let text, !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            return TrackLyrics(artist: track.artist, title: track.title, synced: false, lines: [])
        }
        let parsed = LRC.parse(text)
        return TrackLyrics(
            artist: track.artist, title: track.title, synced: parsed.synced,
            lines: parsed.lines.map { Line(startMs: parsed.synced ? $0.startMs : nil, text: $0.text) })
    }
}

extension CatalogController {
    /// `GET /api/v1/tracks/{id}/lyrics`: always 200 for a visible track (no lines when it has none),
    /// so the player asks without an error for every track.
    @Sendable static func lyrics(req: Request) async throws -> TrackLyrics {
        let id = try req.int64Parameter("id", what: "Track")
        guard let lyrics = try await TrackLyrics.load(trackID: id, visible: try await visible(req), on: req.sql) else {
            throw APIError.notFound("Track")
        }
        return lyrics
    }
}

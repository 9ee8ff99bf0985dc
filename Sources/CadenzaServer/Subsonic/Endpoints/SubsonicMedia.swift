import CadenzaTags
import Fluent
import Foundation
import SQLKit
import Vapor

/// stream, download, getCoverArt, getAvatar, getLyrics, getLyricsBySongId.
enum SubsonicMedia {
    static let handlers: [String: SubsonicAPI.Handler] = [
        "stream": { context in
            let file = try await fileForTrack(context)
            let p = context.params
            let maxBitRate = try p.int("maxBitRate", default: 0, range: 0...2000)
            let offset = Double(try p.int("timeOffset", default: 0, range: 0...86_400))
            var format: Transcoder.Format?
            switch p.string("format")?.lowercased() {
            case nil, "", "raw", "original", "flac", "wav": format = nil
            case "opus", "ogg", "oga": format = .opus
            case "aac", "m4a", "adts": format = .aac
            default: format = .mp3
            }
            let options = StreamController.StreamOptions(format: format, maxBitRate: maxBitRate == 0 ? nil : maxBitRate, timeOffset: offset)
            var estimate: Int?
            if p.bool("estimateContentLength", default: false), file.durationMs > 0 {
                // At the rate ffmpeg will really use: a short estimate would cut the song's end, a long one only pads it.
                let format = options.format ?? .mp3
                estimate = format.estimatedBytes(
                    seconds: max(0, Double(file.durationMs) / 1000 - offset),
                    kbps: StreamController.bitrateKbps(format: format, requested: options.maxBitRate))
            }
            return .response(try await StreamController.serve(file: file.found, options: options, req: context.req, estimatedLength: estimate))
        },
        "download": { context in
            let file = try await fileForTrack(context)
            // As stored: serve() sends it raw (and fetches a followed library's file from its server).
            let response = try await StreamController.serve(
                file: file.found, options: .init(format: nil, maxBitRate: nil, timeOffset: 0), req: context.req)
            let name = (file.found.file.originalName ?? file.found.file.path.fileName).replacingOccurrences(of: "\"", with: "")
            response.headers.replaceOrAdd(name: .contentDisposition, value: "attachment; filename=\"\(name)\"")
            return .response(response)
        },
        "getCoverArt": { context in
            let raw = try context.params.require("id")
            var size: Int?
            if let requested = try context.params.optionalInt("size", range: 1...4096) { size = requested }
            guard let parsed = SubsonicID.parse(raw, assumed: .cover), let artworkID = try await artworkID(for: parsed, context: context),
                let art = try await ArtworkAccess.visibleArtwork(id: artworkID, visible: context.visible, on: context.db)
            else {
                throw SubsonicError.notFound("Cover art")
            }
            return .response(try await StreamController.serveArtwork(hash: art.hash, mime: art.mime, size: size, req: context.req))
        },
        "getAvatar": { context in
            let username = try context.params.require("username")
            guard try await User.find(username: username, on: context.req.db) != nil else { throw SubsonicError.notFound("User") }
            let response = Response(status: .ok, body: .init(data: Data(Identicon.png(for: username))))
            response.headers.contentType = .png
            response.headers.cacheControl = .init(isPublic: false, maxAge: 86_400)
            return .response(response)
        },
        "getLyrics": { context in
            var node = SubsonicNode("lyrics")
            let artist = context.params.string("artist"), title = context.params.string("title")
            guard let title, !title.isEmpty else { return .node(node) }
            let ids = try await CatalogQueries.trackIDs(title: title, artist: artist, visible: context.visible, limit: 5, on: context.db)
            for id in ids {
                if let lyrics = try await lyrics(trackID: id, context: context) {
                    node.set("artist", lyrics.artist)
                    node.set("title", lyrics.title)
                    node.text = lyrics.lines.map(\.text).joined(separator: "\n")
                    break
                }
            }
            return .node(node)
        },
        "getLyricsBySongId": { context in
            let id = try SubsonicID.require(context.params, .track, what: "Song")
            var list = SubsonicNode("lyricsList")
            if let lyrics = try await lyrics(trackID: id, context: context) {
                var structured = SubsonicNode("structuredLyrics")
                structured.set("displayArtist", lyrics.artist)
                structured.set("displayTitle", lyrics.title)
                structured.set("lang", "xxx")
                structured.set("synced", lyrics.synced)
                structured.set("offset", 0)
                structured.add(
                    list: "line",
                    lyrics.lines.map { line in
                        var node = SubsonicNode("line")
                        if let start = line.startMs { node.set("start", start) }
                        node.text = line.text
                        return node
                    })
                list.add(list: "structuredLyrics", [structured])
            } else {
                list.add(list: "structuredLyrics", [])
            }
            return .node(list)
        },
    ]

    struct TrackFile {
        var found: (file: FileDTO, absolutePath: String, hash: String?, mtime: Int64)
        var durationMs: Int
    }

    static func fileForTrack(_ context: SubsonicContext) async throws -> TrackFile {
        let id = try SubsonicID.require(context.params, .track, what: "Song")
        guard let fileID = try await CatalogQueries.primaryFileID(trackID: id, visible: context.visible, on: context.db),
            let found = try await CatalogQueries.streamableFile(id: fileID, visible: context.visible, on: context.db)
        else {
            throw SubsonicError.notFound("Song")
        }
        let duration = try await CatalogQueries.durationMs(trackID: id, on: context.db)
        return TrackFile(found: found, durationMs: Int(clamping: duration))
    }

    static func artworkID(for parsed: (kind: SubsonicID.Kind, id: Int64), context: SubsonicContext) async throws -> Int64? {
        let subject: CatalogQueries.ArtworkSubject
        switch parsed.kind {
        case .cover: return parsed.id
        case .album: subject = .album(parsed.id)
        case .track: subject = .track(parsed.id)
        case .artist: subject = .artist(parsed.id)
        case .playlist: subject = .playlist(parsed.id)
        }
        return try await CatalogQueries.artworkID(of: subject, on: context.db)
    }

    /// Lyrics with lines, or nil (an unknown track is error 70).
    static func lyrics(trackID: Int64, context: SubsonicContext) async throws -> TrackLyrics? {
        guard let lyrics = try await TrackLyrics.load(trackID: trackID, visible: context.visible, on: context.db) else {
            throw SubsonicError.notFound("Song")
        }
        return lyrics.lines.isEmpty ? nil : lyrics
    }
}

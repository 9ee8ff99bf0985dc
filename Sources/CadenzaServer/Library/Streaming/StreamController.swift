import Foundation
import SQLKit
import CadenzaTags
import Vapor

/// Audio and artwork delivery.
enum StreamController {
    /// `GET /api/v1/files/:id/audio?format=&maxBitRate=&timeOffset=`
    @Sendable static func audio(req: Request) async throws -> Response {
        let viewer = try req.requireUser()
        let id = try req.int64Parameter("id", what: "File")
        let visible = try await Libraries.visibleIDs(for: viewer, on: req.sql)
        guard let found = try await CatalogQueries.streamableFile(id: id, visible: visible, on: req.sql) else {
            throw APIError.notFound("File")
        }
        let options = try StreamOptions(req)
        return try await serve(file: found, options: options, req: req)
    }

    struct StreamOptions: Sendable {
        var format: Transcoder.Format?
        var maxBitRate: Int?
        var timeOffset: Double

        init(format: Transcoder.Format?, maxBitRate: Int?, timeOffset: Double) {
            self.format = format
            self.maxBitRate = maxBitRate
            self.timeOffset = timeOffset
        }

        init(_ req: Request) throws {
            if let raw = req.query[String.self, at: "format"], raw != "raw" {
                guard let format = Transcoder.Format(rawValue: raw.lowercased()) else {
                    throw APIError.badRequest("format must be raw, \(Transcoder.Format.allCases.map(\.rawValue).joined(separator: ", ")).")
                }
                self.format = format
            }
            if let raw = req.query[String.self, at: "maxBitRate"] {
                guard let rate = Int(raw), rate >= 0, rate <= 2000 else { throw APIError.badRequest("maxBitRate must be 0 to 2000 (kbps).") }
                maxBitRate = rate == 0 ? nil : rate
            }
            timeOffset = 0
            if let raw = req.query[String.self, at: "timeOffset"] {
                guard let offset = Double(raw), offset >= 0, offset < 86_400 else { throw APIError.badRequest("timeOffset must be seconds from 0.") }
                timeOffset = offset
            }
        }
    }

    /// Serves a file raw (with Range) when that satisfies the request, else a transcode.
    static func serve(
        file found: (file: FileDTO, absolutePath: String, hash: String?, mtime: Int64), options: StreamOptions,
        req: Request, estimatedLength: Int? = nil
    ) async throws -> Response {
        var found = found
        let file = found.file
        let storedBitrate = file.bitrate ?? 0
        let needsLowerRate = options.maxBitRate.map { storedBitrate == 0 || storedBitrate > $0 } ?? false
        let wantsOtherFormat = options.format.map { !$0.matches(storedFormat: file.format) } ?? false
        let asStored = !needsLowerRate && !wantsOtherFormat && options.timeOffset == 0
        if let remote = try await RemoteCatalog.source(fileID: Int64(file.id) ?? 0, on: req.sql) {
            // A followed library's file: its bytes come from its instance, through whoever fetches them.
            guard let media = try? req.application.cadenza.state(RemoteMedia.self) else {
                throw APIError(status: .notFound, code: "file_missing", message: "This server cannot fetch remote audio.")
            }
            let source = RemoteMediaSource(
                fileID: Int64(file.id) ?? 0, url: remote.streamURL, mediaType: remote.mediaType, size: remote.size, version: found.mtime,
                ownerID: remote.ownerID)
            if asStored { return try await media.stream(source, req) }
            do { found.absolutePath = try await media.localCopy(source, req) } catch let error as APIError { throw error } catch {
                throw APIError(status: .badGateway, code: "remote_unreachable", message: "The track's server did not give it: \(error)")
            }
        }
        guard !found.absolutePath.isEmpty, FileManager.default.isReadableFile(atPath: found.absolutePath) else {
            throw APIError(status: .notFound, code: "file_missing", message: "The audio file is no longer on disk.")
        }
        if asStored {
            return try await raw(path: found.absolutePath, format: file.format, req: req)
        }
        let format = options.format ?? (Transcoder.Format.allCases.first { $0.matches(storedFormat: file.format) } ?? .mp3)
        let request = Transcoder.Request(
            source: found.absolutePath, format: format, bitrateKbps: bitrateKbps(format: format, requested: options.maxBitRate),
            offsetSeconds: options.timeOffset)
        let version = found.hash.map { String($0.prefix(12)) } ?? String(found.mtime)
        let cacheURL = Transcoder.cacheURL(fileID: Int64(file.id) ?? 0, version: version, request: request, settings: try req.application.settings)
        if options.timeOffset == 0, FileManager.default.fileExists(atPath: cacheURL.path) {
            try? FileManager.default.setAttributes([.modificationDate: Date()], ofItemAtPath: cacheURL.path)
            return try await raw(path: cacheURL.path, format: format.fileExtension, req: req)
        }
        let hold = try await Transcoder.place(for: req)
        return try Transcoder.stream(request, cacheTo: options.timeOffset == 0 ? cacheURL : nil, exactLength: estimatedLength, hold: hold, on: req)
    }

    /// The rate a transcode runs at: what the client asked for (192 kb/s by default) within what
    /// the encoder does well.
    static func bitrateKbps(format: Transcoder.Format, requested: Int?) -> Int {
        max(32, min(requested ?? 192, format == .opus ? 256 : 320))
    }

    static func raw(path: String, format: String?, req: Request) async throws -> Response {
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int64) ?? 0
        switch ByteRange.check(req.headers.first(name: .range), size: size) {
        case .unsatisfiable:
            let response = JSONErrorMiddleware.response(
                for: APIError(status: .rangeNotSatisfiable, code: "range_not_satisfiable", message: "The range starts past the end of the file."),
                request: req)
            response.headers.replaceOrAdd(name: .contentRange, value: "bytes */\(size)")
            return response
        case .whole:
            req.headers.remove(name: .range)
        case .satisfiable:
            break
        }
        let ext = (path as NSString).pathExtension
        let mime = CadenzaTagsMime.forExtension(format ?? ext)
        let response = try await req.fileio.asyncStreamFile(at: path, mediaType: mime)
        response.headers.replaceOrAdd(name: .cacheControl, value: "private, max-age=3600")
        return response
    }

    // MARK: artwork

    static let artworkSizes = [32, 64, 128, 256, 300, 512, 600, 1024]

    /// `GET /api/v1/artwork/:id?size=` — resized on first request with ffmpeg, then cached.
    @Sendable static func artwork(req: Request) async throws -> Response {
        let viewer = try req.requireUser()
        let id = try req.int64Parameter("id", what: "Artwork")
        let visible = try await Libraries.visibleIDs(for: viewer, on: req.sql)
        var requested: Int?
        if let raw = req.query[String.self, at: "size"] {
            guard let size = Int(raw), size > 0, size <= 4096 else { throw APIError.badRequest("size must be 1 to 4096 pixels.") }
            requested = size
        }
        guard let art = try await ArtworkAccess.visibleArtwork(id: id, visible: visible, on: req.sql) else {
            throw APIError.notFound("Artwork")
        }
        return try await serveArtwork(hash: art.hash, mime: art.mime, size: requested, req: req)
    }

    static func serveArtwork(hash: String, mime: String, size requested: Int?, req: Request) async throws -> Response {
        let settings = try req.application.settings
        let original = ArtworkStore.url(hash: hash, mime: mime, settings: settings)
        var path = original.path
        var type = mime
        var tag = hash
        if let requested {
            let size = artworkSizes.first { $0 >= requested } ?? artworkSizes.last ?? 600
            let resized = ArtworkStore.directory(settings).appendingPathComponent("resized", isDirectory: true)
                .appendingPathComponent("\(hash)-\(size).jpg")
            if !FileManager.default.fileExists(atPath: resized.path) {
                try FileManager.default.createDirectory(at: resized.deletingLastPathComponent(), withIntermediateDirectories: true)
                let temp = resized.deletingLastPathComponent().appendingPathComponent(".\(UUID().uuidString).jpg")
                let hold = try await Transcoder.place(for: req)
                defer { hold.release() }
                let status = await runBlocking { () -> Int32 in
                    let process = Process()
                    process.executableURL = URL(fileURLWithPath: Transcoder.ffmpegPath)
                    process.arguments = [
                        // The decoder refuses more pixels than any cover needs: a header read before
                        // (uploads) may not name the size the bitstream inside decodes to.
                        "-hide_banner", "-loglevel", "error", "-nostdin", "-max_pixels", String(ArtworkStore.maxDecodedPixels), "-i", original.path,
                        "-vf", "scale='min(\(size),iw)':'min(\(size),ih)':force_original_aspect_ratio=decrease",
                        "-frames:v", "1", "-q:v", "3", "-y", temp.path,
                    ]
                    process.standardOutput = FileHandle.nullDevice
                    process.standardError = FileHandle.nullDevice
                    do { try process.run() } catch { return -1 }
                    process.waitUntilExit()
                    return process.terminationStatus
                }
                if status == 0 { try? FileManager.default.moveItem(at: temp, to: resized) } else { try? FileManager.default.removeItem(at: temp) }
            }
            if FileManager.default.fileExists(atPath: resized.path) {
                path = resized.path
                type = "image/jpeg"
                tag = "\(hash)-\(size)"
            }
        }
        let etag = "\"\(tag)\""
        if req.headers.first(name: .ifNoneMatch) == etag {
            let response = Response(status: .notModified)
            response.headers.replaceOrAdd(name: .eTag, value: etag)
            return response
        }
        guard FileManager.default.isReadableFile(atPath: path) else { throw APIError.notFound("Artwork") }
        let response = try await req.fileio.asyncStreamFile(at: path)
        let parts = type.split(separator: "/")
        response.headers.contentType = HTTPMediaType(type: String(parts.first ?? "image"), subType: String(parts.last ?? "jpeg"))
        response.headers.replaceOrAdd(name: .eTag, value: etag)
        // Content-addressed: the bytes behind this URL never change.
        response.headers.replaceOrAdd(name: .cacheControl, value: "private, max-age=31536000, immutable")
        return response
    }
}

enum ArtworkAccess {
    /// A track's cover (its album's), for a caller that settled who may see it: a station's
    /// listeners see the covers of what it aired.
    static func trackArtwork(trackID: Int64, on db: any SQLDatabase) async throws -> (hash: String, mime: String)? {
        let row = try await db.raw(
            """
            SELECT w.hash, w.mime FROM tracks t JOIN albums a ON a.id = t.album_id JOIN artworks w ON w.id = a.artwork_id
            WHERE t.id = \(bind: trackID)
            """
        ).first()
        guard let row else { return nil }
        return (try row.decode(column: "hash", as: String.self), try row.decode(column: "mime", as: String.self))
    }

    /// Artwork the caller may see: it belongs to an album with a track in a visible library.
    static func visibleArtwork(id: Int64, visible: [Int64], on db: any SQLDatabase) async throws -> (hash: String, mime: String)? {
        guard !visible.isEmpty else { return nil }
        let row = try await db.raw(
            """
            SELECT w.hash, w.mime FROM artworks w WHERE w.id = \(bind: id) AND EXISTS (
                SELECT 1 FROM albums a JOIN tracks t ON t.album_id = a.id
                WHERE a.artwork_id = w.id AND t.library_id IN (\(SQLList(visible.map { SQLBind($0) }))))
            """
        ).first()
        guard let row else { return nil }
        return (try row.decode(column: "hash", as: String.self), try row.decode(column: "mime", as: String.self))
    }
}

/// HTTP media types for audio by stored format or extension.
enum CadenzaTagsMime {
    static func forExtension(_ ext: String) -> HTTPMediaType {
        let mime = AudioSniffer.mime(forExtension: ext)
        let parts = mime.split(separator: ";")[0].split(separator: "/")
        return HTTPMediaType(type: String(parts.first ?? "application"), subType: String(parts.last ?? "octet-stream"))
    }
}

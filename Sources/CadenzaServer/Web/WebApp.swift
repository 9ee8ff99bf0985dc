import Fluent
import Crypto
import Foundation
import NIOConcurrencyHelpers
import Vapor

/// The web app: `/` is its shell, `/app/…` its modules and styles, served from the package's
/// resources (or `CADENZA_WEB_DIR` while developing), compressed, with ETags, under a
/// Content-Security-Policy that allows no inline script.
enum WebApp {
    struct Asset: Sendable {
        var body: ByteBuffer
        var etag: String
        var type: HTTPMediaType
    }

    private static let cache = NIOLockedValueBox([String: Asset]())

    static var root: URL? {
        if let dir = ProcessInfo.processInfo.environment["CADENZA_WEB_DIR"], !dir.isEmpty {
            return URL(fileURLWithPath: dir, isDirectory: true)
        }
        return Bundle.module.resourceURL?.appendingPathComponent("Public", isDirectory: true)
    }

    static func type(of path: String) -> HTTPMediaType {
        switch (path as NSString).pathExtension.lowercased() {
        case "html": return .html
        case "js", "mjs": return HTTPMediaType(type: "text", subType: "javascript", parameters: ["charset": "utf-8"])
        case "css": return HTTPMediaType(type: "text", subType: "css", parameters: ["charset": "utf-8"])
        case "svg": return HTTPMediaType(type: "image", subType: "svg+xml")
        case "json": return .json
        case "webmanifest": return HTTPMediaType(type: "application", subType: "manifest+json")
        case "png": return .png
        default: return .binary
        }
    }

    /// A file under the web root, read once; nil for anything outside it or missing.
    static func asset(_ relative: String) -> Asset? {
        if let hit = cache.withLockedValue({ $0[relative] }) { return hit }
        guard let root, let path = SafePath.join(root: root.path, relative: relative),
            let data = FileManager.default.contents(atPath: path)
        else { return nil }
        let digest = UTF8Text.hex(SHA256.hash(data: data).prefix(12))
        let asset = Asset(body: ByteBuffer(bytes: data), etag: "\"\(digest)\"", type: type(of: path))
        cache.withLockedValue { $0[relative] = asset }
        return asset
    }

    static func respond(_ asset: Asset, req: Request) -> Response {
        let response: Response
        if req.headers.first(name: .ifNoneMatch) == asset.etag {
            response = Response(status: .notModified)
        } else {
            response = Response(status: .ok, body: .init(buffer: asset.body))
            response.headers.contentType = asset.type
            response.headers.responseCompression = .enable
        }
        response.headers.replaceOrAdd(name: .eTag, value: asset.etag)
        // Revalidated on every load (cheap with the ETag): file names carry no version.
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-cache")
        response.headers.replaceOrAdd(name: "Content-Security-Policy", value: WebPages.contentSecurityPolicy)
        response.headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        response.headers.replaceOrAdd(name: "Referrer-Policy", value: "no-referrer")
        return response
    }

    @Sendable static func shell(req: Request) async throws -> Response {
        guard let asset = asset("index.html") else { throw Abort(.notFound) }
        return respond(asset, req: req)
    }

    /// The service worker is served from the root so that its scope is the whole app.
    @Sendable static func serviceWorker(req: Request) async throws -> Response {
        guard let asset = asset("sw.js") else { throw Abort(.notFound) }
        return respond(asset, req: req)
    }

    /// Browsers ask for `/favicon.ico` on pages outside the app (setup, shares): a PNG answers.
    @Sendable static func favicon(req: Request) async throws -> Response {
        guard let asset = asset("app/icons/icon-32.png") else { throw Abort(.notFound) }
        return respond(asset, req: req)
    }

    @Sendable static func file(req: Request) async throws -> Response {
        let relative = "app/" + req.parameters.getCatchall().joined(separator: "/")
        guard relative.count < 300, let asset = asset(relative) else { throw Abort(.notFound) }
        return respond(asset, req: req)
    }
}

/// `POST /api/v1/plays`: the web player reports a track starting (playing-now) and a track
/// played long enough to count (a listen).
enum PlaysController {
    struct Report: Decodable {
        var trackId: String
        var event: String
        /// When the play happened (ms since 1970), so that a report retried after a lost answer is
        /// the same listen, stored once; absent means now.
        var listenedAt: Int64?
    }

    /// How far back a retried report may date its play.
    static let maxReportAgeMillis: Int64 = 86_400_000

    @Sendable static func report(req: Request) async throws -> HTTPStatus {
        let viewer = try req.requireUser()
        let report = try await req.decodeJSON(Report.self)
        guard let trackID = Int64(report.trackId), ["playing", "played"].contains(report.event) else {
            throw APIError.unprocessable("trackId must be a track id and event playing or played.", code: "invalid_play")
        }
        let now = Clock.nowMillis()
        if let at = report.listenedAt, at < now - maxReportAgeMillis || at > now + 60_000 {
            throw APIError.unprocessable("listenedAt must be within the last 24 hours.", code: "invalid_play")
        }
        let visible = try await Libraries.visibleIDs(for: viewer, on: req.sql)
        guard try await CatalogQueries.primaryFileID(trackID: trackID, visible: visible, on: req.sql) != nil else {
            throw APIError.notFound("Track")
        }
        try await req.db.writeTransaction { tx in
            if report.event == "played" {
                try await Plays.record(userID: viewer.userID, trackID: trackID, at: report.listenedAt ?? now, client: "Cadenza web", on: tx.sql)
            } else {
                try await Plays.nowPlaying(userID: viewer.userID, trackID: trackID, client: "Cadenza web", on: tx.sql)
            }
        }
        return .noContent
    }
}

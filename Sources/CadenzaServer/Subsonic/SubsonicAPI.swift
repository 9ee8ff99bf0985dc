import Fluent
import Foundation
import SQLKit
import Vapor

/// `/rest/<method>[.view]`, GET or form POST: authenticate, dispatch, render the envelope.
enum SubsonicAPI {
    typealias Handler = @Sendable (SubsonicContext) async throws -> SubsonicResult

    static let apiVersion = "1.16.1"
    static let serverVersion = "0.1.0"

    /// Methods that answer without credentials (the spec requires this one to be public).
    static let publicMethods: Set<String> = ["getOpenSubsonicExtensions"]

    static let handlers: [String: Handler] = {
        var all: [String: Handler] = [:]
        for group in [
            SubsonicSystem.handlers, SubsonicBrowsing.handlers, SubsonicLists.handlers, SubsonicMedia.handlers,
            SubsonicAnnotation.handlers, SubsonicPlaylists.handlers, SubsonicBookmarks.handlers,
            SubsonicSharing.handlers, SubsonicAdmin.handlers, SubsonicTranscoding.handlers, SubsonicJukebox.handlers,
        ] {
            all.merge(group) { first, _ in first }
        }
        // Podcasts, video, chat, HLS and audio-analysis similarity (OpenSubsonic
        // `sonicSimilarity`, not advertised) are not part of Cadenza's Subsonic surface: clients
        // get the protocol's error, never an HTTP 404 page.
        for method in [
            "getPodcasts", "getNewestPodcasts", "refreshPodcasts", "createPodcastChannel", "deletePodcastChannel",
            "deletePodcastEpisode", "downloadPodcastEpisode", "getPodcastEpisode", "getVideos", "getVideoInfo",
            "getCaptions", "hls", "getChatMessages", "addChatMessage",
            "getSonicSimilarTracks", "findSonicPath",
        ] where all[method] == nil {
            all[method] = { _ in throw SubsonicError.notSupported }
        }
        return all
    }()

    @Sendable static func handle(req: Request) async throws -> Response {
        var method = req.parameters.get("method") ?? ""
        if method.hasSuffix(".view") { method.removeLast(5) }
        let params = SubsonicParams(req)
        var format = SubsonicFormat.xml
        do {
            do { format = try SubsonicFormat(params) } catch {
                format = .json  // asked for JSONP without a usable callback: answer the error as JSON
                throw error
            }
            guard let handler = handlers[method] else {
                throw SubsonicError(code: 0, message: "Unknown API method: \(method)")
            }
            if publicMethods.contains(method) {
                let user = Principal(userID: 0, username: "", role: .user, method: .token(id: 0))
                let result = try await handler(
                    SubsonicContext(
                        req: req, params: params, user: user, visible: [], catalogVersion: "",
                        annotationsVersion: nil))
                return render(result, format: format)
            }
            let (user, knownVersion, annotationsVersion) = try await SubsonicAuth.authenticate(params, req: req)
            // Shared code (the transcoder's per-user share) finds the caller where the REST API puts it.
            req.auth.login(user)
            var version = knownVersion ?? ""
            if knownVersion == nil { version = try await CatalogCache.version(on: req.sql) }
            let visible = try await req.application.catalogItemCache.value("visible:\(user.userID):\(user.role)", version: version) {
                try await Libraries.visibleIDs(for: user, on: req.sql)
            }
            let result = try await handler(
                SubsonicContext(
                    req: req, params: params, user: user, visible: visible, catalogVersion: version,
                    annotationsVersion: annotationsVersion))
            return render(result, format: format)
        } catch let error as SubsonicError {
            return envelope(status: "failed", nodes: [errorNode(error)], format: format)
        } catch let error as ParameterError {
            return envelope(status: "failed", nodes: [errorNode(SubsonicError(error))], format: format)
        } catch let error as APIError {
            // Shared code speaks the REST API's errors; translate to the nearest Subsonic code.
            let code = error.status == .notFound ? 70 : error.status == .forbidden ? 50 : 0
            return envelope(status: "failed", nodes: [errorNode(SubsonicError(code: code, message: error.message))], format: format)
        } catch {
            if let trouble = ServerTrouble(error) {
                req.logger.warning("answered \(trouble.status.code): \(String(describing: error))")
                return envelope(status: "failed", nodes: [errorNode(SubsonicError(code: 0, message: trouble.message))], format: format)
            }
            req.logger.report(error: error)
            return envelope(status: "failed", nodes: [errorNode(SubsonicError(code: 0, message: "Internal error."))], format: format)
        }
    }

    static func errorNode(_ error: SubsonicError) -> SubsonicNode {
        var node = SubsonicNode("error")
        node.set("code", error.code)
        node.set("message", error.message)
        return node
    }

    static func render(_ result: SubsonicResult, format: SubsonicFormat) -> Response {
        switch result {
        case .ok(let nodes): return envelope(status: "ok", nodes: nodes, format: format)
        case .response(let response): return response
        }
    }

    static func envelope(status: String, nodes: [SubsonicNode], format: SubsonicFormat) -> Response {
        var root = SubsonicNode("subsonic-response")
        root.set("status", status)
        root.set("version", apiVersion)
        root.set("type", "cadenza")
        root.set("serverVersion", serverVersion)
        root.set("openSubsonic", true)
        for node in nodes {
            if node.name == "__list__" { root.children += node.children } else { root.add(node) }
        }
        // Written as UTF-8 bytes straight into the body: large lists are most of a request's work.
        var body: [UInt8] = []
        body.reserveCapacity(16_384)
        let response = Response(status: .ok)
        switch format {
        case .xml:
            body += #"<?xml version="1.0" encoding="UTF-8"?>"#.utf8
            root.xml(into: &body, namespace: true)
            response.headers.contentType = HTTPMediaType(type: "application", subType: "xml", parameters: ["charset": "utf-8"])
        case .json:
            body += #"{"subsonic-response":"#.utf8
            root.jsonObject(into: &body)
            body.append(UInt8(ascii: "}"))
            response.headers.contentType = .json
        case .jsonp(let callback):
            body += callback.utf8
            body += #"({"subsonic-response":"#.utf8
            root.jsonObject(into: &body)
            body += "});".utf8
            response.headers.contentType = HTTPMediaType(type: "application", subType: "javascript", parameters: ["charset": "utf-8"])
        }
        response.body = .init(buffer: ByteBuffer(bytes: body))
        return response
    }
}

/// Subsonic ids are opaque strings; Cadenza prefixes them by kind so one `getCoverArt` or
/// `star` id can name a track, an album, an artist, a playlist or an image.
enum SubsonicID {
    enum Kind: String {
        case track = "tr", album = "al", artist = "ar", cover = "ca", playlist = "pl"
    }

    static func make(_ kind: Kind, _ id: Int64) -> String { "\(kind.rawValue)-\(id)" }

    /// Parses `tr-12`; a bare number counts as `assumed`.
    static func parse(_ raw: String, assumed: Kind? = nil) -> (kind: Kind, id: Int64)? {
        if let dash = raw.firstIndex(of: "-"), let kind = Kind(rawValue: String(raw[..<dash])),
            let id = Int64(raw[raw.index(after: dash)...]), id > 0
        {
            return (kind, id)
        }
        if let assumed, let id = Int64(raw), id > 0 { return (assumed, id) }
        return nil
    }

    static func require(_ params: SubsonicParams, _ kind: Kind, what: String) throws -> Int64 {
        try require(params, "id", kind, what: what)
    }

    /// The id of `kind` from parameter `key`: missing → 10, malformed or another kind → 70.
    static func require(_ params: SubsonicParams, _ key: String, _ kind: Kind, what: String) throws -> Int64 {
        let raw = try params.require(key)
        guard let parsed = parse(raw, assumed: kind), parsed.kind == kind else { throw SubsonicError.notFound(what) }
        return parsed.id
    }
}

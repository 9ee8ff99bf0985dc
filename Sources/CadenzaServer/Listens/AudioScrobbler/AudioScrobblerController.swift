import Fluent
import Foundation
import SQLKit
import Vapor

/// AudioScrobbler 1.2 at `/scrobbler/`: the handshake (`a` = md5(md5(app password) + t)), then
/// now-playing and submissions against the session id it hands out. Plain-text answers:
/// OK, BADAUTH, BADTIME, BADSESSION, FAILED <reason>.
enum AudioScrobblerController {
    /// How far the client's clock may be from ours at the handshake.
    static let allowedSkew: Int64 = 7200
    static let maxSubmissions = 50

    static func register(_ app: any RoutesBuilder) {
        app.on(.GET, "scrobbler", use: handshake)
        app.on(.POST, "scrobbler", body: .stream, use: handshake)
        app.on(.POST, "scrobbler", "np_1.2", body: .stream, use: nowPlaying)
        app.on(.POST, "scrobbler", "protocol_1.2", body: .stream, use: submit)
    }

    static func reply(_ text: String) -> Response {
        LastFMResponse.text(text + "\n")
    }

    /// The request's parameters, or nil when the body is over the limit.
    static func params(_ req: Request) async -> [String: String]? {
        try? await FormParams.parse(req, maxBytes: 1 << 20)
    }

    @Sendable static func handshake(req: Request) async throws -> Response {
        guard let params = await params(req) else { return reply("FAILED The request is too large.") }
        guard params["hs"] == "true" else { return reply("FAILED Send hs=true to start a session.") }
        guard let user = params["u"], let t = params["t"], let a = params["a"]?.lowercased() else {
            return reply("FAILED Missing u, t or a.")
        }
        let now = Clock.nowMillis() / 1000
        guard let stamp = Int64(t), stamp > now - allowedSkew, stamp < now + allowedSkew else { return reply("BADTIME") }
        let throttle = try LoginThrottle(req, username: user)
        if try await throttle.reserve(on: req.sql) != nil { return reply("FAILED Too many failed handshakes; try later.") }
        guard user.count <= 64, let owner = try await ListenOwner.load(username: user, on: req.sql),
            let password = try await LastFMAuth.appPassword(userID: owner.userID, app: req.application, on: req.sql),
            Secrets.equal(a, Secrets.md5Hex(Secrets.md5Hex(password) + t))
        else {
            return reply("BADAUTH")
        }
        try await throttle.succeeded(on: req.sql)
        let sid = try await LastFMAuth.newSession(userID: owner.userID, protocol: "as12", apiKey: nil, on: req.sql)
        let base = try baseURL(req)
        return reply("OK\n\(sid)\n\(base)/scrobbler/np_1.2\n\(base)/scrobbler/protocol_1.2")
    }

    /// Where the client reached us: the Host it used, else the configured public URL.
    static func baseURL(_ req: Request) throws -> String {
        let configured = try req.application.settings.publicURL
        guard let host = req.headers.first(name: .host), !host.isEmpty, host.count <= 255,
            host.allSatisfy({ $0.isLetter || $0.isNumber || ".-:[]".contains($0) })
        else { return configured }
        let scheme = req.headers.first(name: "X-Forwarded-Proto") == "https" || configured.hasPrefix("https://") ? "https" : "http"
        return "\(scheme)://\(host)"
    }

    static func listen(_ params: [String: String], suffix: String, timestamp: Bool) -> [String: JSONValue] {
        FormListen.audioscrobbler.document(withTimestamp: timestamp) { params[$0 + suffix] }
    }

    @Sendable static func nowPlaying(req: Request) async throws -> Response {
        guard let params = await params(req) else { return reply("FAILED The request is too large.") }
        guard let owner = try await LastFMAuth.session(params["s"], protocol: "as12", on: req.sql) else { return reply("BADSESSION") }
        let parsed: IncomingListen
        do {
            parsed = try ListenValidator.validate(
                listen: .object(listen(params, suffix: "", timestamp: false)), type: .playingNow,
                now: Clock.nowMillis() / 1000)
        } catch let error as ListenBrainzError {
            return reply("FAILED \(error.message)")
        }
        try await req.db.writeTransaction { tx in
            try await PlayingNow.set(parsed, owner: owner, client: "audioscrobbler", on: tx.sql)
        }
        return reply("OK")
    }

    @Sendable static func submit(req: Request) async throws -> Response {
        guard let params = await params(req) else { return reply("FAILED The request is too large.") }
        guard let owner = try await LastFMAuth.session(params["s"], protocol: "as12", on: req.sql) else { return reply("BADSESSION") }
        var listens: [IncomingListen] = []
        let now = Clock.nowMillis() / 1000
        for index in 0..<maxSubmissions where params["a[\(index)]"] != nil || params["t[\(index)]"] != nil {
            // Listens a player may not submit (o=L: "last.fm" radio, skipped r=S) are still history here.
            do {
                listens.append(
                    try ListenValidator.validate(
                        listen: .object(listen(params, suffix: "[\(index)]", timestamp: true)),
                        type: .import, now: now))
            } catch is ListenBrainzError {
                // As ListenBrainz does: an unusable entry is dropped, the rest are kept (a FAILED
                // answer would make the client resend the whole batch forever).
                continue
            }
        }
        guard !listens.isEmpty else { return reply("FAILED No submissions (a[0], t[0], i[0]) in the request.") }
        _ = try await req.application.listenIngest.submit(listens, owner: owner, source: "audioscrobbler", app: req.application)
        return reply("OK")
    }
}

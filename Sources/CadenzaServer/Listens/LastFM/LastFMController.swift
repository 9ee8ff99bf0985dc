import Fluent
import CadenzaTags
import Foundation
import SQLKit
import Vapor

/// The Last.fm 2.0 scrobbling API at `/2.0/`: auth (token, session, mobile session), now playing,
/// scrobbles, love/unlove, user info and recent tracks.
enum LastFMController {
    static let maxScrobbles = 50

    struct Call {
        var req: Request
        var params: [String: String]
        var json: Bool
        var db: any SQLDatabase { req.sql }
        var app: Application { req.application }

        func require(_ name: String) throws -> String {
            guard let value = params[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else {
                throw LastFMError.parameters("missing \(name)")
            }
            return value
        }

        func owner() async throws -> ListenOwner {
            guard let owner = try await LastFMAuth.session(params["sk"], protocol: "lastfm", on: db) else { throw LastFMError.invalidSession }
            return owner
        }
    }

    @Sendable static func handle(req: Request) async throws -> Response {
        let params: [String: String]
        do { params = try await FormParams.parse(req, maxBytes: 1 << 20) } catch {
            return LastFMResponse.error(.parameters("the request is larger than 1 MB"), json: req.url.query?.contains("format=json") == true)
        }
        let json = params["format"]?.lowercased() == "json"
        do {
            let call = Call(req: req, params: params, json: json)
            let verdict = try req.application.bufferedRateLimiter.hit(
                "lastfm:" + (req.clientIP),
                window: try req.application.settings.listens.rateWindow,
                db: req.application.sql, logger: req.logger)
            if try verdict.count > req.application.settings.listens.rateLimit { throw LastFMError.rateLimited }
            let method = (params["method"] ?? "").lowercased()
            if method.isEmpty { throw LastFMError.parameters("missing method") }
            return LastFMResponse.ok(try await dispatch(method, call), json: json)
        } catch let error as LastFMError {
            return LastFMResponse.error(error, json: json)
        } catch let error as ListenBrainzError {
            return LastFMResponse.error(LastFMError(code: 6, message: error.message), json: json)
        } catch {
            req.logger.report(error: error)
            return LastFMResponse.error(.operationFailed, json: json)
        }
    }

    static func dispatch(_ method: String, _ call: Call) async throws -> LastFMNode? {
        let writes: Set<String> = ["track.scrobble", "track.updatenowplaying", "track.love", "track.unlove"]
        if writes.contains(method), call.req.method != .POST {
            throw LastFMError(code: 16, message: "This method must be called with POST")
        }
        let signed = method.hasPrefix("auth.") || writes.contains(method)
        try await LastFMAuth.checkKey(call.params, signed: signed, app: call.app, on: call.db)
        switch method {
        case "auth.gettoken": return try await getToken(call)
        case "auth.getsession": return try await getSession(call)
        case "auth.getmobilesession": return try await getMobileSession(call)
        case "track.updatenowplaying": return try await LastFMScrobbles.updateNowPlaying(call)
        case "track.scrobble": return try await LastFMScrobbles.scrobble(call)
        case "track.love": return try await love(call, score: 1)
        case "track.unlove": return try await love(call, score: 0)
        case "user.getinfo": return try await LastFMUsers.getInfo(call)
        case "user.getrecenttracks": return try await LastFMUsers.getRecentTracks(call)
        default: throw LastFMError.invalidMethod
        }
    }

    static func sessionNode(_ owner: ListenOwner, key: String) -> LastFMNode {
        LastFMNode(
            "session",
            children: [
                LastFMNode("name", text: owner.username), LastFMNode("key", text: key),
                LastFMNode("subscriber", text: "0"),
            ])
    }

    static func getToken(_ call: Call) async throws -> LastFMNode {
        let token = Secrets.md5Hex(Secrets.randomToken())
        try await call.db.raw(
            """
            INSERT INTO lastfm_tokens (token_hash, api_key, created_at)
            VALUES (\(bind: Secrets.hash(token)), \(bind: call.params["api_key"] ?? ""), \(bind: Clock.nowMillis()))
            """
        ).run()
        return LastFMNode("token", text: token)
    }

    static func getSession(_ call: Call) async throws -> LastFMNode {
        let token = try call.require("token")
        guard token.count <= 128,
            let row = try await call.db.raw(
                """
                SELECT user_id, created_at FROM lastfm_tokens WHERE token_hash = \(bind: Secrets.hash(token))
                """
            ).first()
        else { throw LastFMError(code: 4, message: "Invalid authentication token supplied") }
        if try row.decode(column: "created_at", as: Int64.self) < Clock.nowMillis() - 3_600_000 { throw LastFMError.tokenExpired }
        guard let userID = try row.decode(column: "user_id", as: Int64?.self),
            let owner = try await ListenOwner.load(userID: userID, on: call.db)
        else { throw LastFMError.unauthorizedToken }
        let key = try await call.req.db.writeTransaction { tx in
            try await tx.sql.raw("DELETE FROM lastfm_tokens WHERE token_hash = \(bind: Secrets.hash(token))").run()
            return try await LastFMAuth.newSession(userID: userID, protocol: "lastfm", apiKey: call.params["api_key"], on: tx.sql)
        }
        return sessionNode(owner, key: key)
    }

    /// Username with either `password` (account or app password) or `authToken` =
    /// md5(username + md5(app password)).
    static func getMobileSession(_ call: Call) async throws -> LastFMNode {
        let username = try call.require("username")
        let throttle = try LoginThrottle(call.req, username: username)
        if try await throttle.reserve(on: call.db) != nil { throw LastFMError.rateLimited }
        guard username.count <= 64, let owner = try await ListenOwner.load(username: username, on: call.db) else {
            throw LastFMError.authenticationFailed
        }
        let appPassword = try await LastFMAuth.appPassword(userID: owner.userID, app: call.app, on: call.db)
        var valid = false
        if let token = call.params["authToken"]?.lowercased(), let appPassword {
            // Clients hash the name as typed; accept the stored spelling too.
            valid = [username, owner.username].contains { Secrets.equal(token, Secrets.md5Hex($0 + Secrets.md5Hex(appPassword))) }
        } else if let password = call.params["password"], !password.isEmpty, password.utf8.count <= 1024 {
            if let appPassword, Secrets.equal(Secrets.hash(password), Secrets.hash(appPassword)) {
                valid = true
            } else if let user = try await User.find(username: owner.username, on: call.req.db) {
                valid = try await call.app.verifyPassword(password, hash: user.passwordHash)
            }
        } else {
            throw LastFMError.parameters("send password or authToken")
        }
        guard valid else { throw LastFMError.authenticationFailed }
        try await throttle.succeeded(on: call.db)
        let key = try await LastFMAuth.newSession(userID: owner.userID, protocol: "lastfm", apiKey: call.params["api_key"], on: call.db)
        return sessionNode(owner, key: key)
    }

    static func love(_ call: Call, score: Int) async throws -> LastFMNode? {
        let owner = try await call.owner()
        let artist = try call.require("artist"), track = try call.require("track")
        let keys = ListenDictionary.Keys(artist: NameKey.make(artist), track: NameKey.make(track), release: nil)
        try await call.req.db.writeTransaction { tx in
            try await ListenBrainzFeedback.set(userID: owner.userID, type: "msid", key: ListenDictionary.msid(keys), score: score, on: tx.sql)
        }
        return nil
    }
}

import Fluent
import Foundation
import SQLKit
import Vapor

/// The ListenBrainz API at `/1/` (host root: liblistenbrainz drops any base path).
enum ListenBrainzController {
    static func register(_ app: any RoutesBuilder) {
        let lb = app.grouped("1").grouped(ListenBrainzMiddleware())
        // Bodies up to 12 MB reach the handler, which answers ListenBrainz's own 400 above 10,240,000 bytes.
        lb.on(.POST, "submit-listens", body: .collect(maxSize: "12mb"), use: submit)
        lb.get("validate-token", use: validateToken)
        lb.get("user", ":user", "listens", use: listens)
        lb.get("user", ":user", "playing-now", use: playingNow)
        lb.get("user", ":user", "listen-count", use: listenCount)
        lb.on(.POST, "playing-now", "delete", body: .collect(maxSize: "64kb"), use: deletePlayingNow)
        lb.on(.POST, "delete-listen", body: .collect(maxSize: "64kb"), use: deleteListen)
        lb.on(.POST, "feedback", "recording-feedback", body: .collect(maxSize: "64kb"), use: ListenBrainzFeedback.submit)
        lb.get("feedback", "user", ":user", "get-feedback", use: ListenBrainzFeedback.list)
        lb.get("latest-import", use: ListenBrainzFeedback.latestImport)
        lb.on(.POST, "latest-import", body: .collect(maxSize: "64kb"), use: ListenBrainzFeedback.setLatestImport)
        lb.get("stats", "user", ":user", ":entity", use: ListenBrainzStats.handle)
        lb.on(.GET, "**") { _ -> Response in throw ListenBrainzError.notFound("The requested URL was not found on the server.") }
        lb.on(.POST, "**") { _ -> Response in throw ListenBrainzError.notFound("The requested URL was not found on the server.") }
    }

    static func ok(_ extra: [String: JSONValue] = [:]) -> Response {
        var body = extra
        body["status"] = .string("ok")
        return ListenBrainzMiddleware.jsonResponse(JSONValue.object(body))
    }

    static func bodyBytes(_ req: Request) -> [UInt8] {
        req.body.data.map { Array($0.readableBytesView) } ?? []
    }

    @Sendable static func submit(req: Request) async throws -> Response {
        let (_, owner) = try await ListenBrainzAuth.require(req)
        let bytes = bodyBytes(req), now = Clock.nowMillis() / 1000
        // Most submissions are a few hundred bytes; an import-sized batch (up to the 12 MB body
        // limit) is parsed off the event loops so it cannot stall other requests.
        let (type, listens) =
            bytes.count > 64 * 1024
            ? try await runBlockingThrowing { try ListenValidator.validate(body: bytes, now: now) }
            : try ListenValidator.validate(body: bytes, now: now)
        if type == .playingNow, let listen = listens.first {
            let client =
                listen.additionalInfo["submission_client"].flatMap { value -> String? in
                    if case .string(let s) = value { return String(s.prefix(100)) } else { return nil }
                } ?? "listenbrainz"
            try await req.db.writeTransaction { tx in
                try await PlayingNow.set(listen, owner: owner, client: client, on: tx.sql)
            }
            if (try? req.query.get(Bool.self, at: "return_msid")) == true {
                return ok(["recording_msid": .string(ListenDictionary.msid(ListenDictionary.keys(listen)))])
            }
            return ok()
        }
        _ = try await req.application.listenIngest.submit(listens, owner: owner, source: type.rawValue, app: req.application)
        return ok()
    }

    @Sendable static func validateToken(req: Request) async throws -> Response {
        let token = ListenBrainzAuth.token(in: req) ?? req.query[String.self, at: "token"]
        guard let token, !token.isEmpty else {
            throw ListenBrainzError.bad("You need to provide an Authorization token.")
        }
        guard token.count <= 256, let principal = try await APITokenStore.principal(forToken: token, on: req.sql),
            ListenBrainzAuth.allows(principal)
        else {
            return ListenBrainzMiddleware.jsonResponse(
                JSONValue.object([
                    "code": .number(200), "message": .string("Token invalid."), "valid": .bool(false),
                ]))
        }
        return ListenBrainzMiddleware.jsonResponse(
            JSONValue.object([
                "code": .number(200), "message": .string("Token valid."), "valid": .bool(true), "user_name": .string(principal.username),
            ]))
    }

    static func nonNegative(_ req: Request, _ name: String) throws -> Int64? {
        guard let raw = req.query[String.self, at: name] else { return nil }
        guard let value = Int64(raw), value >= 0 else { throw ListenBrainzError.bad("'\(name)' should be a non-negative integer") }
        return value
    }

    @Sendable static func listens(req: Request) async throws -> Response {
        let viewer = try await ListenBrainzAuth.optional(req)
        let owner = try await ListenBrainzAuth.readable(req, viewer: viewer)
        let minTS = try nonNegative(req, "min_ts"), maxTS = try nonNegative(req, "max_ts")
        if let minTS, let maxTS, maxTS <= minTS {
            throw ListenBrainzError.bad("max_ts should be greater than min_ts")
        }
        let count = Int(min(try nonNegative(req, "count") ?? 25, 1000))
        let visible = Set(try await viewer.asyncMap { try await Libraries.visibleIDs(for: $0, on: req.sql) } ?? [])
        let listens = try await ListenQueries.listens(
            owner: owner, minTS: minTS, maxTS: maxTS, count: count,
            visibleLibraries: visible, on: req.sql)
        let bounds = try await ListenQueries.bounds(userID: owner.userID, on: req.sql)
        struct Payload: Encodable {
            var count: Int
            var listens: [ListenJSON]
            var latest_listen_ts: Int64
            var oldest_listen_ts: Int64
            var user_id: String
        }
        return ListenBrainzMiddleware.jsonResponse([
            "payload": Payload(
                count: listens.count, listens: listens, latest_listen_ts: bounds.latest ?? 0, oldest_listen_ts: bounds.oldest ?? 0,
                user_id: owner.username)
        ])
    }

    @Sendable static func playingNow(req: Request) async throws -> Response {
        let owner = try await ListenBrainzAuth.readable(req, viewer: try await ListenBrainzAuth.optional(req))
        let current = try await PlayingNow.current(owner: owner, on: req.sql)
        struct Payload: Encodable {
            var count: Int
            var listens: [ListenJSON]
            var playing_now: Bool
            var user_id: String
        }
        let listens = current.map { [$0] } ?? []
        return ListenBrainzMiddleware.jsonResponse([
            "payload": Payload(
                count: listens.count, listens: listens, playing_now: true,
                user_id: owner.username)
        ])
    }

    @Sendable static func listenCount(req: Request) async throws -> Response {
        let owner = try await ListenBrainzAuth.readable(req, viewer: try await ListenBrainzAuth.optional(req))
        let count = try await ListenStore.count(userID: owner.userID, on: req.sql)
        return ListenBrainzMiddleware.jsonResponse(["payload": ["count": count]])
    }

    @Sendable static func deletePlayingNow(req: Request) async throws -> Response {
        let (_, owner) = try await ListenBrainzAuth.require(req)
        var client: String?
        let bytes = bodyBytes(req)
        if !bytes.isEmpty {
            guard case .object(let body)? = try? JSONValue.parse(bytes) else {
                throw ListenBrainzError.bad("Invalid JSON document submitted.")
            }
            if case .string(let name)? = body["client"] { client = name }
        }
        let cleared = try await PlayingNow.clear(owner: owner, client: client, on: req.sql)
        if !cleared, client != nil { throw ListenBrainzError.notFound("No playing now listen found for this client.") }
        return ok(["message": .string(cleared ? "Playing now listen deleted." : "No playing now listen found.")])
    }

    @Sendable static func deleteListen(req: Request) async throws -> Response {
        let (_, owner) = try await ListenBrainzAuth.require(req)
        guard case .object(let body)? = try? JSONValue.parse(bodyBytes(req)) else {
            throw ListenBrainzError.bad("Invalid JSON document submitted.")
        }
        guard let raw = body["listened_at"] else { throw ListenBrainzError.bad("Listen timestamp missing.") }
        guard let listenedAt = ListenValidator.pythonInt(raw) else { throw ListenBrainzError.bad("invalid listened_at: Listen timestamp invalid.") }
        guard case .string(let msid)? = body["recording_msid"] else { throw ListenBrainzError.bad("Recording MSID missing.") }
        guard let uuid = UUID(uuidString: msid) else { throw ListenBrainzError.bad("\(msid) Recording MSID format invalid.") }
        _ = try await req.db.writeTransaction { tx in
            try await ListenStore.delete(owner: owner, listenedAt: listenedAt, msid: uuid.uuidString.lowercased(), on: tx.sql)
        }

        return ok()
    }
}

import Fluent
import Foundation
import SQLKit
import Vapor

/// Recording feedback (love = 1, hate = -1, 0 removes it) and the latest-import marker.
enum ListenBrainzFeedback {
    @Sendable static func submit(req: Request) async throws -> Response {
        let (_, owner) = try await ListenBrainzAuth.require(req)
        guard case .object(let body)? = try? JSONValue.parse(ListenBrainzController.bodyBytes(req)) else {
            throw ListenBrainzError.bad("Invalid JSON document submitted.")
        }
        let allowed: Set<String> = ["recording_msid", "recording_mbid", "score"]
        guard body["score"] != nil, body["recording_msid"] != nil || body["recording_mbid"] != nil,
            body.keys.allSatisfy(allowed.contains)
        else {
            throw ListenBrainzError.bad("JSON document must contain either recording_msid or recording_mbid, and score top level keys")
        }
        guard let score = body["score"].flatMap(ListenValidator.pythonInt), [-1, 0, 1].contains(score),
            case .number = body["score"]
        else {
            throw ListenBrainzError.bad("Feedback can only have a value of 1, 0 or -1.")
        }
        let (type, raw) = body["recording_mbid"].map { ("mbid", $0) } ?? ("msid", body["recording_msid"] ?? .null)
        guard case .string(let text) = raw, let uuid = UUID(uuidString: text) else {
            throw ListenBrainzError.bad("recording_\(type) must be a valid UUID.")
        }
        try await req.db.writeTransaction { tx in
            try await set(userID: owner.userID, type: type, key: uuid.uuidString.lowercased(), score: Int(score), on: tx.sql)
        }
        return ListenBrainzController.ok()
    }

    static func set(userID: Int64, type: String, key: String, score: Int, on db: any SQLDatabase) async throws {
        if score == 0 {
            try await db.raw(
                """
                DELETE FROM listen_feedback WHERE user_id = \(bind: userID) AND key_type = \(bind: type) AND recording_key = \(bind: key)
                """
            ).run()
        } else {
            try await db.raw(
                """
                INSERT INTO listen_feedback (user_id, key_type, recording_key, score, created_at)
                VALUES (\(bind: userID), \(bind: type), \(bind: key), \(bind: score), \(bind: Clock.nowMillis() / 1000))
                ON CONFLICT (user_id, key_type, recording_key) DO UPDATE SET score = excluded.score, created_at = excluded.created_at
                """
            ).run()
        }
    }

    @Sendable static func list(req: Request) async throws -> Response {
        let owner = try await ListenBrainzAuth.readable(req, viewer: try await ListenBrainzAuth.optional(req))
        let count = Int(min(try ListenBrainzController.nonNegative(req, "count") ?? 100, 1000))
        let offset = Int(try ListenBrainzController.nonNegative(req, "offset") ?? 0)
        var filter: SQLQueryString = ""
        if let raw = req.query[String.self, at: "score"] {
            guard let score = Int(raw), [-1, 1].contains(score) else {
                throw ListenBrainzError.bad("Score can have a value of 1 or -1.")
            }
            filter = " AND score = \(bind: score)"
        }
        let rows = try await req.sql.raw(
            """
            SELECT key_type, recording_key, score, created_at FROM listen_feedback WHERE user_id = \(bind: owner.userID)\(filter)
            ORDER BY created_at DESC, recording_key LIMIT \(bind: count) OFFSET \(bind: offset)
            """
        ).all()
        let total =
            try await req.sql.raw("SELECT COUNT(*) AS n FROM listen_feedback WHERE user_id = \(bind: owner.userID)\(filter)")
            .first()?.decode(column: "n", as: Int.self) ?? 0
        let feedback: [JSONValue] = try rows.map { row in
            let type = try row.decode(column: "key_type", as: String.self), key = try row.decode(column: "recording_key", as: String.self)
            return .object([
                "user_id": .string(owner.username),
                "recording_msid": type == "msid" ? .string(key) : .null,
                "recording_mbid": type == "mbid" ? .string(key) : .null,
                "score": .number(Double(try row.decode(column: "score", as: Int.self))),
                "created": .number(Double(try row.decode(column: "created_at", as: Int64.self))),
                "track_metadata": .null,
            ])
        }
        return ListenBrainzMiddleware.jsonResponse(
            JSONValue.object([
                "feedback": .array(feedback), "count": .number(Double(feedback.count)), "offset": .number(Double(offset)),
                "total_count": .number(Double(total)),
            ]))
    }

    @Sendable static func latestImport(req: Request) async throws -> Response {
        guard let name = req.query[String.self, at: "user_name"] else { throw ListenBrainzError.bad("Missing user_name.") }
        let service = req.query[String.self, at: "service"] ?? "lastfm"
        req.parameters.set("user", to: name)
        let owner = try await ListenBrainzAuth.readable(req, viewer: try await ListenBrainzAuth.optional(req))
        let ts =
            try await req.sql.raw(
                """
                SELECT ts FROM listen_latest_imports WHERE user_id = \(bind: owner.userID) AND service = \(bind: service)
                """
            ).first()?.decode(column: "ts", as: Int64.self) ?? 0
        return ListenBrainzMiddleware.jsonResponse(
            JSONValue.object([
                "musicbrainz_id": .string(owner.username), "latest_import": .number(Double(ts)),
            ]))
    }

    @Sendable static func setLatestImport(req: Request) async throws -> Response {
        let (_, owner) = try await ListenBrainzAuth.require(req)
        guard case .object(let body)? = try? JSONValue.parse(ListenBrainzController.bodyBytes(req)),
            let raw = body["ts"], let ts = ListenValidator.pythonInt(raw), ts >= 0
        else {
            throw ListenBrainzError.bad("Invalid data sent")
        }
        var service = "lastfm"
        if case .string(let name)? = body["service"] { service = String(name.prefix(32)) }
        let chosen = service
        try await req.db.writeTransaction { tx in
            try await tx.sql.raw(
                """
                INSERT INTO listen_latest_imports (user_id, service, ts) VALUES (\(bind: owner.userID), \(bind: chosen), \(bind: ts))
                ON CONFLICT (user_id, service) DO UPDATE SET ts = CASE WHEN excluded.ts > listen_latest_imports.ts
                  THEN excluded.ts ELSE listen_latest_imports.ts END
                """
            ).run()
        }
        return ListenBrainzController.ok()
    }
}

import Foundation
import SQLKit
import Vapor

/// Last.fm 2.0 credentials. Clients ship their own api_key/secret, which a self-hosted server
/// cannot know: users issue key pairs here for clients that accept custom keys (their api_sig is
/// verified), and an admin setting decides about every other key. Sessions, not keys, name the user.
enum LastFMAuth {
    static let signatureExempt: Set<String> = ["format", "callback", "api_sig"]

    /// The signature rule: md5 of every parameter but format/callback/api_sig, sorted by name
    /// and concatenated as name+value, followed by the secret.
    static func signature(_ params: [String: String], secret: String) -> String {
        let body = params.filter { !signatureExempt.contains($0.key) }
            .sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
            .map { $0.key + $0.value }.joined()
        return Secrets.md5Hex(body + secret)
    }

    /// Checks the api_key (and api_sig for keys issued here, when `signed` or when a signature
    /// is present); throws Last.fm errors 10 and 13.
    static func checkKey(_ params: [String: String], signed: Bool, app: Application, on db: any SQLDatabase) async throws {
        let key = params["api_key"] ?? ""
        let row =
            key.isEmpty || key.count > 128
            ? nil
            : try await db.raw("SELECT secret FROM lastfm_api_keys WHERE api_key = \(bind: key)").first()
        guard let row else {
            if try !app.settings.listens.lastfmAcceptUnknownKeys { throw LastFMError.invalidAPIKey }
            return
        }
        guard signed || params["api_sig"] != nil else { return }
        guard let sig = params["api_sig"]?.lowercased(),
            let secret = try app.secretBox.open(try row.decode(column: "secret", as: String.self)),
            Secrets.equal(sig, signature(params, secret: secret))
        else { throw LastFMError.invalidSignature }
    }

    static func newSession(userID: Int64, protocol name: String, apiKey: String?, on db: any SQLDatabase) async throws -> String {
        let key = Secrets.md5Hex(Secrets.randomToken())  // 32 hex characters, as Last.fm session keys are
        try await db.raw(
            """
            INSERT INTO scrobble_sessions (key_hash, user_id, protocol, api_key, created_at)
            VALUES (\(bind: Secrets.hash(key)), \(bind: userID), \(bind: name), \(bind: apiKey), \(bind: Clock.nowMillis()))
            """
        ).run()
        return key
    }

    static func session(_ key: String?, protocol name: String, on db: any SQLDatabase) async throws -> ListenOwner? {
        guard let key, !key.isEmpty, key.count <= 128,
            let row = try await db.raw(
                """
                SELECT user_id FROM scrobble_sessions WHERE key_hash = \(bind: Secrets.hash(key)) AND protocol = \(bind: name)
                """
            ).first()
        else { return nil }
        return try await ListenOwner.load(userID: try row.decode(column: "user_id", as: Int64.self), on: db)
    }

    /// The app password legacy protocols sign with: the user's Subsonic password.
    static func appPassword(userID: Int64, app: Application, on db: any SQLDatabase) async throws -> String? {
        try await SubsonicAuth.subsonicPassword(userID: userID, app: app, on: db)
    }
}

/// `/api/v1/me/lastfm-keys`: api_key/secret pairs for scrobblers that take custom keys, and
/// `/api/v1/lastfm/approve`: the signed-in user approves a token from auth.getToken.
enum LastFMKeysController {
    struct KeyDTO: Content {
        var id: String
        var name: String
        var apiKey: String
        /// Only in the response that created the key.
        var secret: String?
        var createdAt: Date
    }

    struct NewKey: Decodable {
        var name: String
    }

    @Sendable static func list(req: Request) async throws -> [KeyDTO] {
        let viewer = try req.requireUser()
        return try await req.sql.raw(
            """
            SELECT id, name, api_key, created_at FROM lastfm_api_keys WHERE user_id = \(bind: viewer.userID) ORDER BY id
            """
        ).all().map { row in
            KeyDTO(
                id: String(try row.decode(column: "id", as: Int64.self)), name: try row.decode(column: "name", as: String.self),
                apiKey: try row.decode(column: "api_key", as: String.self), secret: nil,
                createdAt: Clock.date(try row.decode(column: "created_at", as: Int64.self)))
        }
    }

    @Sendable static func create(req: Request) async throws -> Response {
        let viewer = try req.requireUser()
        let body = try await req.decodeJSON(NewKey.self)
        let name = body.name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...100).contains(name.count) else {
            throw APIError.unprocessable("name must be 1 to 100 characters.", code: "invalid_name")
        }
        let apiKey = Secrets.md5Hex(Secrets.randomToken()), secret = Secrets.md5Hex(Secrets.randomToken())
        let now = Clock.nowMillis()
        let sealed = try req.application.secretBox.seal(secret)
        let row = try await req.sql.raw(
            """
            INSERT INTO lastfm_api_keys (user_id, name, api_key, secret, created_at)
            VALUES (\(bind: viewer.userID), \(bind: name), \(bind: apiKey), \(bind: sealed), \(bind: now)) RETURNING id
            """
        ).first()
        let response = Response(status: .created)
        try response.content.encode(
            KeyDTO(
                id: String(try row?.decode(column: "id", as: Int64.self) ?? 0), name: name, apiKey: apiKey,
                secret: secret, createdAt: Clock.date(now)))
        return response
    }

    @Sendable static func delete(req: Request) async throws -> HTTPStatus {
        let viewer = try req.requireUser()
        guard let id = req.parameters.get("id").flatMap(Int64.init),
            !(try await req.sql.raw(
                """
                DELETE FROM lastfm_api_keys WHERE id = \(bind: id) AND user_id = \(bind: viewer.userID) RETURNING id
                """
            ).all().isEmpty)
        else { throw APIError.notFound("Key") }
        return .noContent
    }

    struct Approval: Decodable {
        var token: String
    }

    @Sendable static func approve(req: Request) async throws -> HTTPStatus {
        let viewer = try req.requireUser()
        let body = try await req.decodeJSON(Approval.self)
        guard body.token.count <= 128,
            !(try await req.sql.raw(
                """
                UPDATE lastfm_tokens SET user_id = \(bind: viewer.userID)
                WHERE token_hash = \(bind: Secrets.hash(body.token)) AND user_id IS NULL AND created_at > \(bind: Clock.nowMillis() - 3_600_000)
                RETURNING token_hash
                """
            ).all().isEmpty)
        else { throw APIError.notFound("Token") }
        return .noContent
    }
}

import Fluent
import Foundation
import SQLKit
import Vapor

/// Subsonic authentication: `apiKey` (OpenSubsonic), `u`+`t`+`s` (md5 of the Subsonic password and
/// a salt) and `u`+`p` (clear or `enc:` hex). The Subsonic password is separate from the login
/// password and kept encrypted, because token auth needs it back.
enum SubsonicAuth {
    static func authenticate(_ params: SubsonicParams, req: Request) async throws -> Principal {
        if let apiKey = params.string("apiKey") {
            if params.string("u") != nil {
                throw SubsonicError(code: 43, message: "Multiple conflicting authentication mechanisms provided.")
            }
            guard apiKey.count <= 256, let principal = try await APITokenStore.principal(forToken: apiKey, on: req.sql) else {
                throw SubsonicError(code: 44, message: "Invalid API key.")
            }
            return principal
        }
        guard let username = params.string("u"), !username.isEmpty else { throw SubsonicError.missing("u") }
        let token = params.string("t"), salt = params.string("s"), password = params.string("p")
        guard (token != nil && salt != nil) || password != nil else { throw SubsonicError.missing("p or t and s") }

        let settings = req.application.settings
        let bucket = "subsonic:user:\(User.key(for: username))"
        let verdict = try await RateLimiter.peek(bucket, window: settings.rateLimitWindow, on: req.sql)
        if verdict.count >= settings.loginRateLimitPerAccount {
            throw SubsonicError(code: 40, message: "Too many failed attempts; try again in \(verdict.retryAfter) s.")
        }
        func fail() async throws -> Never {
            try await RateLimiter.hit(bucket, window: settings.rateLimitWindow, on: req.sql)
            throw SubsonicError.wrongCredentials
        }
        guard username.count <= 64, let user = try await User.find(username: username, on: req.db),
              let secret = try await subsonicPassword(userID: try user.requireID(), app: req.application, on: req.sql) else {
            try await fail()
        }
        if let token, let salt {
            let expected = Insecure.MD5.hash(data: Data((secret + salt).utf8)).map { String(format: "%02x", $0) }.joined()
            guard Secrets.equal(expected, token.lowercased()) else { try await fail() }
        } else if let password {
            var clear = password
            if password.hasPrefix("enc:") {
                guard let decoded = hexDecode(String(password.dropFirst(4))) else { try await fail() }
                clear = decoded
            }
            guard Secrets.equal(Secrets.hash(clear), Secrets.hash(secret)) else { try await fail() }
        }
        return Principal(userID: try user.requireID(), username: user.username, role: user.role, method: .token(id: 0))
    }

    static func hexDecode(_ hex: String) -> String? {
        guard hex.count % 2 == 0, hex.count <= 1024 else { return nil }
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            guard let byte = UInt8(hex[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        return String(bytes: bytes, encoding: .utf8)
    }

    static func subsonicPassword(userID: Int64, app: Application, on db: any SQLDatabase) async throws -> String? {
        guard let sealed = try await db.raw("SELECT secret FROM subsonic_credentials WHERE user_id = \(bind: userID)").first()?
            .decode(column: "secret", as: String.self) else { return nil }
        return try app.secretBox.open(sealed)
    }

    static func setSubsonicPassword(userID: Int64, password: String, app: Application, on db: any SQLDatabase) async throws {
        let sealed = try app.secretBox.seal(password)
        try await db.raw("""
            INSERT INTO subsonic_credentials (user_id, secret, updated_at) VALUES (\(bind: userID), \(bind: sealed), \(bind: Clock.nowMillis()))
            ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, updated_at = excluded.updated_at
            """).run()
    }
}

import Fluent
import Foundation
import SQLKit
import Vapor

/// Subsonic authentication: `apiKey` (OpenSubsonic), `u`+`t`+`s` (md5 of the Subsonic password and
/// a salt) and `u`+`p` (clear or `enc:` hex). The Subsonic password is separate from the login
/// password and kept encrypted, because token auth needs it back.
enum SubsonicAuth {
    /// The caller, and the catalog and annotation versions when they came with the credentials
    /// (saves statements per request).
    static func authenticate(_ params: SubsonicParams, req: Request) async throws -> (Principal, catalogVersion: String?, annotationsVersion: Int64?)
    {
        if let apiKey = params.string("apiKey") {
            if params.string("u") != nil {
                throw SubsonicError(code: 43, message: "Multiple conflicting authentication mechanisms provided.")
            }
            guard apiKey.count <= 256, let principal = try await APITokenStore.principal(forToken: apiKey, on: req.sql),
                principal.scope == .full || principal.scope == .subsonic
            else {
                throw SubsonicError(code: 44, message: "Invalid API key.")
            }
            return (principal, nil, nil)
        }
        guard let username = params.string("u"), !username.isEmpty else { throw SubsonicError.missing("u") }
        let token = params.string("t"), salt = params.string("s"), password = params.string("p")
        guard (token != nil && salt != nil) || password != nil else { throw SubsonicError.missing("p or t and s") }

        let settings = try req.application.settings
        // Per account from this address, and ten times that per account from everywhere (as for
        // sign-ins): guessing from one place does not lock the owner's apps out elsewhere.
        let bucket = "subsonic:user:\(User.key(for: username))"
        let addressBucket = "\(bucket):ip:\(req.clientIP)"
        let now = Clock.nowMillis(), window = Int64(settings.rateLimitWindow * 1000)
        let row =
            username.count > 64
            ? nil
            : try await SubsonicCredentials.load(
                usernameKey: User.key(for: username), bucket: bucket, addressBucket: addressBucket, windowStart: now - now % window,
                on: req)
        let failures = row?.failures ?? 0
        if failures >= settings.loginRateLimitPerAccount {
            let retry = max(1, Int((now - now % window + window - now + 999) / 1000))
            throw SubsonicError(code: 40, message: "Too many failed attempts; try again in \(retry) s.")
        }
        func fail() async throws -> Never {
            try await RateLimiter.hit(addressBucket, window: settings.rateLimitWindow, on: req.sql)
            try await RateLimiter.hit(bucket, window: settings.rateLimitWindow, on: req.sql)
            throw SubsonicError.wrongCredentials
        }
        guard let row, let sealed = row.sealedSecret,
            let secret = try req.application.secretBox.open(sealed)
        else {
            try await fail()
        }
        let principal = Principal(userID: row.userID, username: row.username, role: User.Role(rawValue: row.role) ?? .user, method: .token(id: 0))
        if let token, let salt {
            let expected = Secrets.md5Hex(secret + salt)
            guard Secrets.equal(expected, token.lowercased()) else { try await fail() }
        } else if let password {
            var clear = password
            if password.hasPrefix("enc:") {
                guard let decoded = hexDecode(String(password.dropFirst(4))) else { try await fail() }
                clear = decoded
            }
            guard Secrets.equal(Secrets.hash(clear), Secrets.hash(secret)) else { try await fail() }
        }
        return (principal, row.catalogVersion ?? "0", row.annotationsVersion)
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
        guard
            let sealed = try await db.raw("SELECT secret FROM subsonic_credentials WHERE user_id = \(bind: userID)").first()?
                .decode(column: "secret", as: String.self)
        else { return nil }
        return try app.secretBox.open(sealed)
    }

    static func setSubsonicPassword(userID: Int64, password: String, app: Application, on db: any SQLDatabase) async throws {
        let sealed = try app.secretBox.seal(password)
        try await db.raw(
            """
            INSERT INTO subsonic_credentials (user_id, secret, updated_at) VALUES (\(bind: userID), \(bind: sealed), \(bind: Clock.nowMillis()))
            ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, updated_at = excluded.updated_at
            """
        ).run()
    }
}

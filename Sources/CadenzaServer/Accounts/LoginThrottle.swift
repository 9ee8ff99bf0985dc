import SQLKit
import Vapor

/// Failed sign-ins counted per client address and per account, for every protocol that takes a
/// password (the web login, Last.fm's getMobileSession, the AudioScrobbler handshake).
struct LoginThrottle {
    let buckets: [(String, Int)]
    let window: TimeInterval

    init(_ req: Request, username: String) throws {
        let settings = try req.application.settings
        let ip = req.remoteAddress?.ipAddress ?? "unknown"
        buckets = [
            ("login:ip:\(ip)", settings.loginRateLimitPerIP),
            ("login:user:\(User.key(for: username))", settings.loginRateLimitPerAccount),
        ]
        window = settings.rateLimitWindow
    }

    /// Seconds to wait when either count is at its limit, else nil.
    func blocked(on db: any SQLDatabase) async throws -> Int? {
        for (bucket, limit) in buckets {
            let verdict = try await RateLimiter.peek(bucket, window: window, on: db)
            if verdict.count >= limit { return verdict.retryAfter }
        }
        return nil
    }

    func failed(on db: any SQLDatabase) async throws {
        for (bucket, _) in buckets {
            try await RateLimiter.hit(bucket, window: window, on: db)
        }
    }
}

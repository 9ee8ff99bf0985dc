import SQLKit
import Vapor

/// Failed sign-ins counted per client address, per account from that address, and per account
/// from everywhere (ten times the per-address budget, against guessing spread over many
/// addresses), for every protocol that takes a password (the web login, Last.fm's
/// getMobileSession, the AudioScrobbler handshake). Someone guessing at an account from one
/// place therefore does not lock its owner out from another.
struct LoginThrottle {
    let buckets: [(String, Int)]
    let window: TimeInterval

    init(_ req: Request, username: String) throws {
        let settings = try req.application.settings
        let ip = req.clientIP, account = User.key(for: username)
        buckets = [
            ("login:ip:\(ip)", settings.loginRateLimitPerIP),
            ("login:user:\(account):ip:\(ip)", settings.loginRateLimitPerAccount),
            ("login:user:\(account)", settings.loginRateLimitPerAccount.multipliedReportingOverflow(by: 10).partialValue),
        ]
        window = settings.rateLimitWindow
    }

    /// Takes one attempt from each bucket before the password is checked, so parallel guesses
    /// cannot all pass a check made before any of them failed. Returns the seconds to wait when a
    /// bucket is already spent (the attempt is then not counted); nil when the attempt may go on.
    func reserve(on db: any SQLDatabase) async throws -> Int? {
        var taken: [String] = []
        for (bucket, limit) in buckets {
            let verdict = try await RateLimiter.hit(bucket, window: window, on: db)
            taken.append(bucket)
            if verdict.count > limit {
                for bucket in taken { try await RateLimiter.refund(bucket, window: window, on: db) }
                return verdict.retryAfter
            }
        }
        return nil
    }

    /// A correct password gives its attempt back: only failures use up the limit.
    func succeeded(on db: any SQLDatabase) async throws {
        for (bucket, _) in buckets { try await RateLimiter.refund(bucket, window: window, on: db) }
    }
}

import NIOConcurrencyHelpers
import SQLKit
import Vapor

/// Recently verified API tokens, for the scrobbling APIs where a player submits every few
/// seconds: a token seen in the last ``lifetime`` is not looked up again. Entries are dropped at
/// once when a token is revoked or a user changes, in this process and (by NOTIFY) on every other
/// node; ``lifetime`` only bounds what a lost notification could cost.
final class TokenCache: Sendable {
    static let lifetime: Int64 = 5000

    struct Identity: Sendable {
        var principal: Principal
        var timeZone: String
        var visibility: String
    }

    private let entries = NIOLockedValueBox([String: (identity: Identity, until: Int64)]())

    func identity(token: String, on db: any SQLDatabase) async throws -> Identity? {
        let key = Secrets.hash(token), now = Clock.nowMillis()
        if let hit = entries.withLockedValue({ $0[key] }), hit.until > now { return hit.identity }
        guard let (principal, row) = try await APITokenStore.lookup(token: token, on: db) else { return nil }
        let identity = Identity(
            principal: principal, timeZone: try row.decode(column: "time_zone", as: String.self),
            visibility: try row.decode(column: "listens_visibility", as: String.self))
        entries.withLockedValue { entries in
            if entries.count > 10_000 { entries = entries.filter { $0.value.until > now } }
            entries[key] = (identity, now + Self.lifetime)
        }
        return identity
    }

    static let topic = "tokens"

    /// Forgets every cached token of a user (revoked token, changed role or settings, deleted
    /// user), here and on the other nodes.
    func forget(userID: Int64, on db: any SQLDatabase) async throws {
        forgetHere(userID: userID)
        // The change itself has committed: a lost notice costs at most `lifetime`, not the request.
        try? await Invalidations.publish(Self.topic, String(userID), on: db)
    }

    func forgetHere(userID: Int64?) {
        guard let userID else { return entries.withLockedValue { $0 = [:] } }
        entries.withLockedValue { $0 = $0.filter { $0.value.identity.principal.userID != userID } }
    }
}

extension Application {
    var tokenCache: TokenCache {
        get throws { try cadenza.state(TokenCache.self) }
    }
}

import Foundation
import SQLKit

/// What administrators decided about other domains (keyed by host[:port]).
struct DomainPolicy: Sendable, Codable, Equatable {
    enum Kind: String, Codable, Sendable, CaseIterable {
        /// Nothing in or out: signatures refused, deliveries dropped.
        case block
        /// Activities accepted, but nothing from it reaches anyone's notifications or feeds.
        case silence
        /// Allowed in allow-list mode (and otherwise just a note).
        case allow
    }

    var authority: String
    var policy: Kind
    var rejectMedia: Bool
    var note: String

    init(row: any SQLRow) throws {
        authority = try row.decode(column: "authority", as: String.self)
        policy = Kind(rawValue: try row.decode(column: "policy", as: String.self)) ?? .block
        rejectMedia = try row.decode(column: "reject_media", as: Bool.self)
        note = try row.decode(column: "note", as: String.self)
    }
}

enum DomainPolicies {
    static func all(on db: any SQLDatabase) async throws -> [DomainPolicy] {
        try await db.raw("SELECT * FROM federation_domains ORDER BY authority").all().map(DomainPolicy.init(row:))
    }

    /// Whether this instance talks to `authority` at all: not blocked, and allowed when only
    /// allowed domains federate.
    static func federates(with authority: String, allowListMode: Bool, on db: any SQLDatabase) async throws -> Bool {
        let policy = try await effective(authority, on: db)
        if policy?.policy == .block { return false }
        return !allowListMode || policy?.policy == .allow
    }

    /// The policy that applies to `authority`: its own (host:port), else its host's, else the
    /// nearest parent domain's — a block of `evil.com` covers `x.evil.com` and every port.
    static func effective(_ authority: String, on db: any SQLDatabase) async throws -> DomainPolicy? {
        let candidates = coveringNames(authority.lowercased())
        let rows = try await db.raw(
            "SELECT * FROM federation_domains WHERE authority IN (\(SQLList(candidates.map { SQLBind($0) })))"
        ).all().map(DomainPolicy.init(row:))
        return candidates.lazy.compactMap { name in rows.first { $0.authority == name } }.first
    }

    /// `a.b.example.org:8443` → itself, `a.b.example.org`, `b.example.org`, `example.org`, `org`
    /// (IP addresses only themselves and without the port).
    static func coveringNames(_ authority: String) -> [String] {
        var names = [authority]
        var host = authority
        if let colon = authority.lastIndex(of: ":"), !authority.hasSuffix("]") { host = String(authority[..<colon]) }
        if host != authority { names.append(host) }
        let isAddress = host.hasPrefix("[") || host.split(separator: ".").allSatisfy { $0.allSatisfy(\.isNumber) }
        guard !isAddress else { return names }
        var labels = host.split(separator: ".")
        while labels.count > 1 {
            labels.removeFirst()
            names.append(labels.joined(separator: "."))
        }
        return names
    }

    static func set(
        _ authority: String, policy: DomainPolicy.Kind, rejectMedia: Bool, note: String, on db: any SQLDatabase
    ) async throws -> DomainPolicy {
        let now = Clock.nowMillis()
        guard
            let row = try await db.raw(
                """
                INSERT INTO federation_domains (authority, policy, reject_media, note, created_at, updated_at)
                VALUES (\(bind: authority.lowercased()), \(bind: policy.rawValue), \(bind: rejectMedia), \(bind: note), \(bind: now), \(bind: now))
                ON CONFLICT (authority) DO UPDATE SET policy = excluded.policy, reject_media = excluded.reject_media,
                    note = excluded.note, updated_at = excluded.updated_at
                RETURNING *
                """
            ).first()
        else { throw FederationError.internal("the policy was not stored") }
        if policy == .block {
            // Queued deliveries to a blocked domain (and its subdomains) are dropped, not sent.
            let name = authority.lowercased()
            try await db.raw(
                """
                UPDATE federation_deliveries SET status = 'dropped', updated_at = \(bind: now)
                WHERE status = 'queued' AND (authority = \(bind: name) OR authority LIKE \(bind: name + ":%")
                    OR authority LIKE \(bind: "%." + name) OR authority LIKE \(bind: "%." + name + ":%"))
                """
            ).run()
        }
        return try DomainPolicy(row: row)
    }

    static func remove(_ authority: String, on db: any SQLDatabase) async throws -> Bool {
        try await db.raw("DELETE FROM federation_domains WHERE authority = \(bind: authority.lowercased()) RETURNING id").all().count > 0
    }
}

import Fluent
import Foundation
import SQLKit
import Vapor

/// Administrators' federation page: domain policies with delivery figures, and key rotation.
enum FederationAdminController {
    struct DomainDTO: Content {
        var authority: String
        var policy: String?
        var rejectMedia: Bool
        var note: String
        /// Deliveries to it by status (sent, queued, failed, dropped).
        var deliveries: [String: Int]
        var knownActors: Int
    }

    /// `GET /api/v1/federation/domains`: every domain with a policy or seen, with figures.
    @Sendable static func domains(req: Request) async throws -> [DomainDTO] {
        _ = try req.requireAdmin()
        let policies = Dictionary(try await DomainPolicies.all(on: req.sql).map { ($0.authority, $0) }, uniquingKeysWith: { a, _ in a })
        let stats = try await FederationDeliveries.statistics(on: req.sql)
        var actors: [String: Int] = [:]
        for row in try await req.sql.raw("SELECT authority, COUNT(*) AS n FROM remote_actors GROUP BY authority").all() {
            actors[try row.decode(column: "authority", as: String.self)] = try row.decode(column: "n", as: Int.self)
        }
        let all = Set(policies.keys).union(stats.keys).union(actors.keys).sorted()
        return all.map {
            DomainDTO(
                authority: $0, policy: policies[$0]?.policy.rawValue, rejectMedia: policies[$0]?.rejectMedia ?? false,
                note: policies[$0]?.note ?? "", deliveries: stats[$0] ?? [:], knownActors: actors[$0] ?? 0)
        }
    }

    struct PolicyChange: Decodable {
        var policy: DomainPolicy.Kind?
        var rejectMedia: Bool?
        var note: String?
    }

    static func authority(_ req: Request) throws -> String {
        guard let raw = req.parameters.get("authority")?.lowercased(), raw.utf8.count <= 300,
            FederationURLs.authority(of: "https://\(raw)") == raw
        else { throw APIError.badRequest("A domain is host or host:port.") }
        return raw
    }

    /// `PUT /api/v1/federation/domains/:authority {policy, rejectMedia, note}`
    @Sendable static func setPolicy(req: Request) async throws -> DomainDTO {
        _ = try req.requireAdmin()
        let authority = try authority(req)
        let change = try await req.decodeJSON(PolicyChange.self)
        guard let policy = change.policy else { throw APIError.badRequest("policy: block, silence or allow") }
        let note = String((change.note ?? "").prefix(1000))
        let rejectMedia = change.rejectMedia ?? false
        let stored = try await req.db.writeTransaction { tx in
            try await DomainPolicies.set(authority, policy: policy, rejectMedia: rejectMedia, note: note, on: tx.sql)
        }
        return DomainDTO(
            authority: stored.authority, policy: stored.policy.rawValue, rejectMedia: stored.rejectMedia, note: stored.note,
            deliveries: try await FederationDeliveries.statistics(on: req.sql)[authority] ?? [:], knownActors: 0)
    }

    /// `DELETE /api/v1/federation/domains/:authority`
    @Sendable static func removePolicy(req: Request) async throws -> HTTPStatus {
        _ = try req.requireAdmin()
        guard try await DomainPolicies.remove(try authority(req), on: req.sql) else { throw APIError.notFound("Domain policy") }
        return .noContent
    }

    struct AccountBlockRequest: Decodable {
        /// The account: its actor id, or @user@host of an account this server knows.
        var account: String?
        var note: String?
    }

    struct AccountBlockDTO: Content {
        var actor: String
        var handle: String?
        var note: String
        var createdAt: Date
    }

    /// `GET /api/v1/federation/account-blocks`
    @Sendable static func accountBlocks(req: Request) async throws -> [AccountBlockDTO] {
        _ = try req.requireAdmin()
        var result: [AccountBlockDTO] = []
        for block in try await AccountBlocks.all(on: req.sql) {
            result.append(
                AccountBlockDTO(
                    actor: block.actor, handle: try await RemoteActors.find(uri: block.actor, on: req.sql)?.handle, note: block.note,
                    createdAt: Clock.date(block.createdAt)))
        }
        return result
    }

    /// The actor id a request names: an id, or the handle of an account already known here.
    static func actor(named text: String, on db: any SQLDatabase) async throws -> String {
        let name = text.trimmingCharacters(in: .whitespaces)
        if FederationURLs.authority(of: name) != nil { return name }
        let handle = name.hasPrefix("@") ? name : "@" + name
        for row in try await db.raw("SELECT * FROM remote_actors ORDER BY id").all() {
            let known = try RemoteActor(row: row)
            if known.handle.lowercased() == handle.lowercased() { return known.uri }
        }
        throw APIError.notFound("Account")
    }

    /// `POST /api/v1/federation/account-blocks {account, note}`: refuses one account (its follows end).
    @Sendable static func blockAccount(req: Request) async throws -> Response {
        _ = try req.requireAdmin()
        let body = try await req.decodeJSON(AccountBlockRequest.self)
        guard let account = body.account, !account.isEmpty, account.utf8.count <= 2000 else {
            throw APIError.badRequest("account: an actor's id or @user@host")
        }
        let actor = try await actor(named: account, on: req.sql)
        let note = String((body.note ?? "").prefix(1000))
        try await req.db.writeTransaction { tx in try await AccountBlocks.block(actor, note: note, on: tx.sql) }
        let response = Response(status: .created)
        try response.content.encode(
            AccountBlockDTO(
                actor: actor, handle: try await RemoteActors.find(uri: actor, on: req.sql)?.handle, note: note, createdAt: Date()))
        return response
    }

    /// `DELETE /api/v1/federation/account-blocks?account=`
    @Sendable static func unblockAccount(req: Request) async throws -> HTTPStatus {
        _ = try req.requireAdmin()
        guard let account = req.query[String.self, at: "account"], !account.isEmpty, account.utf8.count <= 2000 else {
            throw APIError.badRequest("account: an actor's id or @user@host")
        }
        guard try await AccountBlocks.unblock(try await actor(named: account, on: req.sql), on: req.sql) else {
            throw APIError.notFound("Account block")
        }
        return .noContent
    }

    struct RotateRequest: Decodable {
        /// A username, or nil for the instance's service actor.
        var username: String?
    }

    /// `POST /api/v1/federation/keys/rotate {username?}`: a new key pair (peers refetch it when
    /// the old one fails to verify).
    @Sendable static func rotateKey(req: Request) async throws -> HTTPStatus {
        _ = try req.requireAdmin()
        let body = try await req.decodeJSON(RotateRequest.self)
        var userID: Int64?
        if let name = body.username {
            guard let user = try await User.find(username: name, on: req.db) else { throw APIError.notFound("User") }
            userID = try user.requireID()
        }
        try await ActorKeys.rotate(ActorKeys.name(userID: userID), secrets: try req.application.cadenza.secrets, on: req.sql)
        return .noContent
    }
}

import CadenzaFormats
import Fluent
import Foundation
import SQLKit
import Vapor

/// WebFinger and NodeInfo: how other servers find our actors and learn what we are.
enum WellKnownController {
    static func urls(_ req: Request) throws -> FederationURLs { FederationURLs(settings: try req.application.settings) }

    /// `GET /.well-known/webfinger?resource=acct:user@host[:port]` (or the actor's URL).
    @Sendable static func webfinger(req: Request) async throws -> Response {
        let urls = try urls(req)
        guard let resource = req.query[String.self, at: "resource"], resource.utf8.count <= 1000 else {
            throw APIError.badRequest("resource is required (acct:user@\(urls.authority)).")
        }
        let username: String
        if resource.lowercased().hasPrefix("acct:") {
            let account = resource.dropFirst(5).drop(while: { $0 == "@" })
            // Split on the last @: usernames may hold one, the authority never does.
            guard let at = account.lastIndex(of: "@") else { throw APIError.badRequest("acct: needs user@host.") }
            guard account[account.index(after: at)...].lowercased() == urls.authority else { throw APIError.notFound("Account") }
            username = String(account[..<at])
        } else {
            switch urls.local(resource) {
            case .user(let name): username = name
            case .service: username = FederationURLs.serviceUsername
            default: throw APIError.notFound("Account")
            }
        }
        let actor: String
        let subjectName: String
        if let user = try await User.find(username: username, on: req.db) {
            actor = urls.user(user.username)
            subjectName = user.username
        } else if username == FederationURLs.serviceUsername {
            actor = urls.service
            subjectName = username
        } else {
            throw APIError.notFound("Account")
        }
        let body: JSONValue = .object([
            "subject": .string("acct:\(subjectName)@\(urls.authority)"),
            "aliases": .array([.string(actor)]),
            "links": .array([
                .object(["rel": .string("self"), "type": .string("application/activity+json"), "href": .string(actor)]),
                .object(["rel": .string("http://webfinger.net/rel/profile-page"), "type": .string("text/html"), "href": .string(urls.base + "/")]),
            ]),
        ])
        return json(body, type: "application/jrd+json")
    }

    /// `GET /.well-known/nodeinfo`: where the 2.0 and 2.1 documents are.
    @Sendable static func nodeinfoLinks(req: Request) async throws -> Response {
        let urls = try urls(req)
        return json(
            .object([
                "links": .array(
                    ["2.0", "2.1"].map {
                        .object([
                            "rel": .string("http://nodeinfo.diaspora.software/ns/schema/\($0)"),
                            "href": .string("\(urls.base)/nodeinfo/\($0)"),
                        ])
                    })
            ]), type: "application/json")
    }

    /// `GET /nodeinfo/2.0` and `/nodeinfo/2.1`.
    @Sendable static func nodeinfo(req: Request) async throws -> Response {
        let version = req.parameters.get("version") ?? ""
        guard version == "2.0" || version == "2.1" else { throw APIError.notFound("NodeInfo version") }
        let urls = try urls(req)
        let settings = try req.application.settings
        let federation = try settings.section(FederationSettings.self)
        let now = Clock.nowMillis()
        let counts = try await User.counts(activeSince: [now - 183 * 86_400_000, now - 30 * 86_400_000], on: req.sql)
        let allowed = federation.allowListMode ? try await DomainPolicies.all(on: req.sql).filter { $0.policy == .allow }.map(\.authority) : []
        let software: [String: JSONValue] = ["name": .string("cadenza"), "version": .string(SubsonicAPI.serverVersion)]
        let body: JSONValue = .object([
            "version": .string(version),
            "software": .object(software),
            "protocols": .array([.string("activitypub")]),
            "services": .object(["inbound": .array([]), "outbound": .array([])]),
            "openRegistrations": .bool(false),
            "usage": .object([
                "users": .object([
                    "total": .number(Double(counts.total)), "activeHalfyear": .number(Double(counts.active[0])),
                    "activeMonth": .number(Double(counts.active[1])),
                ])
            ]),
            "metadata": .object([
                "nodeName": .string("Cadenza at \(urls.authority)"),
                "actorId": .string(urls.service),
                "library": .object(["federationEnabled": .bool(federation.enabled), "anonymousCanListen": .bool(false)]),
                "allowList": .object(["enabled": .bool(federation.allowListMode), "domains": .array(allowed.map(JSONValue.string))]),
            ]),
        ])
        let profile = "http://nodeinfo.diaspora.software/ns/schema/\(version)#"
        return json(body, type: "application/json; profile=\"\(profile)\"")
    }

    static func json(_ value: JSONValue, type: String, status: HTTPResponseStatus = .ok) -> Response {
        var headers = HTTPHeaders()
        headers.replaceOrAdd(name: .contentType, value: type)
        headers.replaceOrAdd(name: .accessControlAllowOrigin, value: "*")
        return Response(status: status, headers: headers, body: .init(string: value.serialized))
    }
}

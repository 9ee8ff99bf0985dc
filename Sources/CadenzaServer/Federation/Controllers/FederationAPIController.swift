import CadenzaFormats
import Fluent
import Foundation
import SQLKit
import Vapor

/// `/api/v1/federation/...`: finding and following libraries and people on other instances,
/// answering who asks to follow mine, and (administrators) domain policies and keys.
enum FederationAPIController {
    struct FollowDTO: Content {
        var id: Int64
        /// out: I follow it; in: it follows something of mine.
        var direction: String
        var kind: String
        var object: String
        var remoteActor: String
        var remote: String
        var name: String?
        var status: String
        var libraryId: Int64?
        var createdAt: Date

        init(_ follow: FederationFollow, handle: String?) {
            id = follow.id
            direction = follow.direction.rawValue
            kind = follow.objectKind
            object = follow.objectURI
            remoteActor = follow.remoteActorURI
            remote = handle ?? follow.remoteActorURI
            name = follow.name
            status = follow.status.rawValue
            libraryId = follow.libraryID
            createdAt = Date(timeIntervalSince1970: Double(follow.createdAt) / 1000)
        }
    }

    static func client(_ req: Request) throws -> FederationClient {
        let client = try FederationClient(services: try req.application.cadenza)
        guard client.federation.enabled else {
            throw APIError(status: .conflict, code: "federation_disabled", message: "Federation is turned off on this server (CADENZA_FEDERATION).")
        }
        return client
    }

    static func apiError(_ error: FederationError) -> APIError {
        error.permanent
            ? APIError.unprocessable(error.description, code: "remote_refused")
            : APIError(status: .badGateway, code: "remote_unreachable", message: error.description)
    }

    static func dtos(_ follows: [FederationFollow], on db: any SQLDatabase) async throws -> [FollowDTO] {
        var handles: [String: String] = [:]
        for uri in Set(follows.map(\.remoteActorURI)) { handles[uri] = try await RemoteActors.find(uri: uri, on: db)?.handle }
        return follows.map { FollowDTO($0, handle: handles[$0.remoteActorURI]) }
    }

    /// `GET /api/v1/federation/lookup?q=@user@host|URL`
    @Sendable static func lookup(req: Request) async throws -> RemoteLookup.Found {
        _ = try req.requireUser()
        let client = try client(req)
        guard let query = req.query[String.self, at: "q"], !query.isEmpty else { throw APIError.badRequest("q: @user@host or a URL") }
        do { return try await RemoteLookup.find(query, client: client, on: req.sql) } catch let error as FederationError { throw apiError(error) }
    }

    struct FollowRequest: Decodable {
        var target: String?
    }

    /// `POST /api/v1/federation/follows {target}`: asks to follow a library or a person.
    @Sendable static func follow(req: Request) async throws -> Response {
        let user = try req.requireUser()
        let client = try client(req)
        guard let target = try await req.decodeJSON(FollowRequest.self).target, !target.isEmpty else {
            throw APIError.badRequest("target: @user@host or a library's URL")
        }
        let found: RemoteLookup.Found
        let owner: RemoteActor
        do {
            found = try await RemoteLookup.find(target, client: client, on: req.sql)
            owner = try await RemoteActors.resolve(uri: found.owner, client: client, on: req.sql)
        } catch let error as FederationError { throw apiError(error) }
        guard try await DomainPolicies.federates(with: owner.authority, allowListMode: client.federation.allowListMode, on: req.sql) else {
            throw APIError.forbidden("\(owner.authority) may not federate with this instance.")
        }
        let urls = client.urls
        let me = urls.user(user.username)
        let followURI = "\(me)#follows/\(UUID().uuidString.lowercased())"
        let activity = FollowActivities.follow(id: followURI, actor: me, object: found.id, to: owner.uri)
        let settings = client.federation
        let (follow, created) = try await req.db.writeTransaction { tx in
            var result = try await FederationFollows.insert(
                uri: followURI, direction: .out, localUserID: user.userID, remoteActorURI: owner.uri, objectURI: found.id,
                objectKind: found.kind, libraryID: nil, status: .pending, name: found.name, on: tx.sql)
            if !result.created, result.follow.status != .approved {
                // Refused before, or never answered: ask again, with a new Follow the answer will name.
                try await FederationFollows.renew(result.follow.id, uri: followURI, on: tx.sql)
                result.follow.uri = followURI
                result.follow.status = .pending
            }
            // Already following: that follow stands.
            if result.follow.uri == followURI {
                try await FederationDeliveries.send(activity, to: [owner.inbox], settings: settings, on: tx.sql)
            }
            return result
        }
        let dto = try await dtos([follow], on: req.sql)[0]
        let response = Response(status: created ? .created : .ok)
        try response.content.encode(dto)
        return response
    }

    /// `GET /api/v1/federation/follows`: what I follow elsewhere.
    @Sendable static func follows(req: Request) async throws -> [FollowDTO] {
        let user = try req.requireUser()
        return try await dtos(try await FederationFollows.outbound(userID: user.userID, on: req.sql), on: req.sql)
    }

    /// `DELETE /api/v1/federation/follows/:id`: stops following (sends Undo).
    @Sendable static func unfollow(req: Request) async throws -> HTTPStatus {
        let user = try req.requireUser()
        let client = try client(req)
        let id = try req.int64Parameter("id", what: "Follow")
        guard let follow = try await FederationFollows.find(id: id, on: req.sql), follow.direction == .out, follow.localUserID == user.userID else {
            throw APIError.notFound("Follow")
        }
        let urls = client.urls
        let me = urls.user(user.username)
        let inbox = try await RemoteActors.find(uri: follow.remoteActorURI, on: req.sql)?.inbox
        let undo = FollowActivities.undo(
            id: Activities.newURI(urls), actor: me,
            follow: FollowActivities.follow(id: follow.uri, actor: me, object: follow.objectURI, to: follow.remoteActorURI),
            to: follow.remoteActorURI)
        let settings = client.federation
        try await req.db.writeTransaction { tx in
            try await FederationFollows.delete(follow.id, on: tx.sql)
            try await MirrorRemoval.enqueue(objectURI: follow.objectURI, ownerID: user.userID, on: tx.sql)
            if follow.objectKind == "person" { try await RemoteListens.forget(actorURI: follow.objectURI, followerID: user.userID, on: tx.sql) }
            if let inbox { try await FederationDeliveries.send(undo, to: [inbox], settings: settings, on: tx.sql) }
        }
        return .noContent
    }

    /// `GET /api/v1/federation/followers`: who follows my libraries and me (administrators:
    /// also the libraries no one owns).
    @Sendable static func followers(req: Request) async throws -> [FollowDTO] {
        let user = try req.requireUser()
        var follows = try await FederationFollows.inbound(
            ownerID: user.userID, ownedLibraries: try await Libraries.all(on: req.sql).filter { $0.ownerID == user.userID }.map(\.id),
            on: req.sql)
        if user.isAdmin {
            let unowned = Set(try await Libraries.all(on: req.sql).filter { $0.ownerID == nil }.map(\.id))
            follows += try await FederationFollows.inbound(ownerID: nil, ownedLibraries: [], on: req.sql).filter {
                $0.libraryID.map(unowned.contains) ?? false
            }
        }
        return try await dtos(follows, on: req.sql)
    }

    /// `POST /api/v1/federation/followers/:id/approve` and `.../reject`.
    @Sendable static func answer(req: Request, approve: Bool) async throws -> FollowDTO {
        let user = try req.requireUser()
        let client = try client(req)
        let id = try req.int64Parameter("id", what: "Follower")
        guard let follow = try await FederationFollows.find(id: id, on: req.sql), follow.direction == .in else { throw APIError.notFound("Follower") }
        var ownerName: String?
        if let libraryID = follow.libraryID {
            guard let library = try await Libraries.find(id: libraryID, on: req.sql) else { throw APIError.notFound("Follower") }
            guard library.ownerID == user.userID || (library.ownerID == nil && user.isAdmin) else { throw APIError.notFound("Follower") }
            ownerName = library.ownerID == nil ? nil : user.username
        } else {
            guard follow.localUserID == user.userID else { throw APIError.notFound("Follower") }
            ownerName = user.username
        }
        let status: FederationFollow.Status = approve ? .approved : .rejected
        guard follow.status != status else { return try await dtos([follow], on: req.sql)[0] }
        let urls = client.urls
        let actor = ownerName.map(urls.user) ?? urls.service
        guard let follower = try await RemoteActors.find(uri: follow.remoteActorURI, on: req.sql) else { throw APIError.notFound("Follower") }
        // The Follow as it was received, so its id and shape are echoed verbatim.
        let original =
            try await Activities.find(uri: follow.uri, direction: "in", on: req.sql).flatMap { try? JSONValue.parse(Array($0.payload.utf8)) }
            ?? FollowActivities.follow(id: follow.uri, actor: follow.remoteActorURI, object: follow.objectURI, to: actor)
        let activity = FollowActivities.answer(
            approve ? "Accept" : "Reject", id: Activities.newURI(urls), actor: actor, follow: original, to: follower.uri)
        let settings = client.federation
        let publisher = LibraryPublisher(services: try req.application.cadenza)
        try await req.db.writeTransaction { tx in
            if approve {
                // The followers it joins are brought up to date first, then the library counts as told.
                if let libraryID = follow.libraryID { try await publisher.prepareForNewFollower(libraryID: libraryID, on: tx) }
                try await FederationFollows.setStatus(follow.id, .approved, on: tx.sql)
            } else {
                try await FederationFollows.delete(follow.id, on: tx.sql)
            }
            try await FederationDeliveries.send(activity, to: [follower.inbox], settings: settings, on: tx.sql)
        }
        var changed = follow
        changed.status = status
        return try await dtos([changed], on: req.sql)[0]
    }
}

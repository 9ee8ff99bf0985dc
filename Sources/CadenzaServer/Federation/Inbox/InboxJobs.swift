import CadenzaFormats
import Fluent
import Foundation
import SQLKit

/// Works stored inbound activities: follows and their answers now; the music in them (Create,
/// Update, Delete of Audio) through `RemoteMusic`.
enum InboxJobs {
    static let processJob = "federation.inbox"
    static let handledTypes: Set<String> = ["Follow", "Accept", "Reject", "Undo", "Create", "Update", "Delete"]

    struct Payload: Codable, Sendable {
        var activityId: Int64
    }

    static func register(_ jobs: JobRegistry) {
        jobs.register(processJob) { try await process($0) }
    }

    struct Context: Sendable {
        var activity: JSONValue
        var stored: Activities.Stored
        var client: FederationClient
        var federation: FederationSettings
        var database: any Database
        var services: AppServices
        /// The sender's domain is silenced: its activities are worked, but nothing is announced.
        var silenced = false
    }

    static func process(_ job: JobContext) async throws {
        guard let payload = try? job.job.decodePayload(Payload.self) else { throw PermanentJobError("not an inbox payload") }
        guard let stored = try await Activities.find(id: payload.activityId, on: job.db), stored.status == "received" else { return }
        guard let activity = try? JSONValue.parse(Array(stored.payload.utf8)) else {
            try await Activities.mark(stored.id, status: "failed", error: "not JSON", on: job.db)
            return
        }
        let client = try FederationClient(services: job.services)
        let authority = FederationURLs.authority(of: stored.actorURI) ?? ""
        let silenced = try await DomainPolicies.effective(authority, on: job.db)?.policy == .silence
        let context = Context(
            activity: activity, stored: stored, client: client, federation: client.federation, database: job.database,
            services: job.services, silenced: silenced)
        do {
            let outcome: String
            switch stored.type {
            case "Follow": outcome = try await follow(context)
            case "Accept", "Reject": outcome = try await answer(context, approved: stored.type == "Accept")
            case "Undo": outcome = try await undo(context)
            case "Create", "Update": outcome = try await createOrUpdate(context)
            case "Delete": outcome = try await delete(context)
            default: outcome = "ignored"
            }
            try await Activities.mark(stored.id, status: outcome, on: job.db)
        } catch let error as FederationError where error.permanent {
            try await Activities.mark(stored.id, status: "failed", error: error.description, on: job.db)
        }
    }

    // MARK: - Follow

    static func follow(_ context: Context) async throws -> String {
        let urls = context.client.urls
        let actor = context.stored.actorURI
        guard let object = context.activity["object"]?.idValue else { return "ignored" }
        guard let follower = try await RemoteActors.find(uri: actor, on: context.database.sql) else {
            throw FederationError.transient("the follower \(actor) is not known yet")
        }
        var library: LibraryRecord?
        var owner: User?
        let kind: String
        switch urls.local(object) {
        case .library(let id):
            // A mirror of another server's library is not ours to share.
            library = try await Libraries.find(id: id, on: context.database.sql).flatMap { $0.kind == .remote ? nil : $0 }
            if let ownerID = library?.ownerID { owner = try await User.find(ownerID, on: context.database) }
            kind = "library"
        case .user(let name):
            owner = try await User.find(username: name, on: context.database)
            kind = "person"
        case .service:
            kind = "service"
        default:
            return "ignored"
        }
        let ownerActor = owner.map { urls.user($0.username) } ?? urls.service
        let ownerID = owner?.id
        guard (kind == "library" && library != nil) || (kind == "person" && owner != nil) else {
            // Nothing of that name (any more): say no, so the follower does not wait forever.
            let reject = FollowActivities.answer(
                "Reject", id: Activities.newURI(urls), actor: urls.service, follow: context.activity, to: actor)
            try await context.database.writeTransaction { tx in
                _ = try await FederationDeliveries.send(reject, to: [follower.inbox], settings: context.federation, on: tx.sql)
            }
            return "processed"
        }
        let autoApprove = kind == "person" || library?.visibility == .public
        let followURI = context.stored.uri
        let name = library?.name ?? owner?.username
        let libraryID = library?.id
        let activity = context.activity
        let federation = context.federation
        let publisher = LibraryPublisher(services: context.services)
        try await context.database.writeTransaction { tx in
            let db = tx.sql
            if autoApprove, let libraryID { try await publisher.prepareForNewFollower(libraryID: libraryID, on: tx) }
            var (follow, created) = try await FederationFollows.insert(
                uri: followURI, direction: .in, localUserID: ownerID, remoteActorURI: actor, objectURI: object, objectKind: kind,
                libraryID: libraryID, status: autoApprove ? .approved : .pending, name: name, on: db)
            if !created, follow.uri != followURI {
                // A second Follow of the same thing (the first one's answer was lost): answer this one.
                try await db.raw("UPDATE federation_follows SET uri = \(bind: followURI) WHERE id = \(bind: follow.id)").run()
                follow.uri = followURI
            }
            if follow.status == .approved {
                let accept = FollowActivities.answer("Accept", id: Activities.newURI(urls), actor: ownerActor, follow: activity, to: actor)
                try await FederationDeliveries.send(accept, to: [follower.inbox], settings: federation, on: db)
            } else if created, !context.silenced {
                try await FederationEvents.append(
                    FederationEvents.followRequested, follow, remote: follower.handle, object: name ?? object, audienceUserID: ownerID, on: db)
            }
        }
        return "processed"
    }

    // MARK: - Accept / Reject

    static func answer(_ context: Context, approved: Bool) async throws -> String {
        let db = context.database.sql
        let actor = context.stored.actorURI
        let object = context.activity["object"] ?? .null
        var follow: FederationFollow?
        if let id = object.idValue { follow = try await FederationFollows.find(uri: id, on: db) }
        if follow == nil, let target = object["object"]?.idValue, case .user(let name) = context.client.urls.local(object["actor"]?.idValue ?? ""),
            let user = try await User.find(username: name, on: context.database), let userID = user.id
        {
            // Peers that re-mint the Follow's id: match on who followed what.
            follow = try await FederationFollows.outbound(userID: userID, objectURI: target, on: db)
        }
        guard let follow, follow.direction == .out, follow.remoteActorURI == actor else { return "ignored" }
        let status: FederationFollow.Status = approved ? .approved : .rejected
        guard follow.status != status else { return "processed" }
        let remote = try await RemoteActors.find(uri: actor, on: db)?.handle ?? actor
        let mirrorName = "\(follow.name ?? "Library") (\(remote))"
        try await context.database.writeTransaction { tx in
            try await FederationFollows.setStatus(follow.id, status, on: tx.sql)
            if approved, follow.objectKind == "library", let userID = follow.localUserID {
                _ = try await RemoteCatalog.ensureLibrary(remoteURI: follow.objectURI, name: mirrorName, ownerID: userID, on: tx.sql)
                try await LibraryCrawler.enqueue(followID: follow.id, on: tx.sql)
            } else if !approved, let userID = follow.localUserID {
                // Refused, or no longer allowed (the owner removed this follower): what came with it goes.
                try await MirrorRemoval.enqueue(objectURI: follow.objectURI, ownerID: userID, on: tx.sql)
                try await RemoteListens.forget(actorURI: follow.objectURI, followerID: userID, on: tx.sql)
            }
            var changed = follow
            changed.status = status
            try await FederationEvents.append(
                FederationEvents.followAnswered, changed, remote: remote, object: follow.name ?? follow.objectURI,
                audienceUserID: follow.localUserID, on: tx.sql)
        }
        return "processed"
    }

    // MARK: - Undo

    static func undo(_ context: Context) async throws -> String {
        let db = context.database.sql
        let actor = context.stored.actorURI
        let object = context.activity["object"] ?? .null
        guard object.typeName == "Follow" || object.string != nil else { return "ignored" }
        var follow: FederationFollow?
        if let id = object.idValue { follow = try await FederationFollows.find(uri: id, on: db) }
        if follow == nil, let target = object["object"]?.idValue {
            follow = try await FederationFollows.find(direction: .in, remoteActorURI: actor, objectURI: target, on: db)
        }
        guard let follow, follow.direction == .in, follow.remoteActorURI == actor else { return "ignored" }
        try await FederationFollows.delete(follow.id, on: db)
        return "processed"
    }
}

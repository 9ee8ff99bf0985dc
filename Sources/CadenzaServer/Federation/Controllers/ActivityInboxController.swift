import CadenzaFormats
import Fluent
import Foundation
import SQLKit
import Vapor

/// `POST /federation/inbox` (shared) and `/federation/actors/:username/inbox`: a signed
/// activity is checked, stored, queued and answered 202; the work happens in a job.
enum ActivityInboxController {
    static let maxBody = 1 << 20

    @Sendable static func receive(req: Request) async throws -> Response {
        let federation = try req.application.settings.section(FederationSettings.self)
        guard federation.enabled else { throw APIError.notFound("Inbox") }
        if let name = req.parameters.get("username"), try await User.find(username: name, on: req.db) == nil {
            throw APIError.notFound("Actor")
        }
        let body = req.body.data.map { Array($0.readableBytesView) } ?? []
        guard !body.isEmpty else { throw APIError.badRequest("An activity is required.") }
        guard body.count <= maxBody else { throw APIError(status: .payloadTooLarge, code: "too_large", message: "Activities are at most 1 MiB.") }
        // The signature is checked over the bytes as received, before they are parsed.
        let signer = try await req.federationSigner(body: body)
        let activity: JSONValue
        do { activity = try JSONValue.parse(body) } catch { throw APIError.badRequest("The activity is not JSON: \(error)") }
        guard case .object = activity, let type = activity.typeName else { throw APIError.badRequest("An activity is an object with a type.") }
        guard let actor = activity["actor"]?.idValue, actor == signer.uri else {
            throw APIError(status: .unauthorized, code: "invalid_signature", message: "The activity's actor is not the signer.")
        }
        guard let uri = activity["id"]?.string, uri.utf8.count <= 2000, let idAuthority = FederationURLs.authority(of: uri) else {
            throw APIError.badRequest("The activity needs an id.")
        }
        // Funkwhale mints an Accept's id from the Follow's (so on the follower's domain): answers
        // may name ids elsewhere, kept apart per sender so no one can claim another's id first.
        let own = idAuthority == signer.authority
        guard own || type == "Accept" || type == "Reject" else { throw APIError.badRequest("The activity needs an id on its actor's domain.") }
        // What this server does nothing with (likes, announces) is taken and not kept.
        guard InboxJobs.handledTypes.contains(type) else { return Response(status: .accepted) }
        let activityURI = own ? uri : "\(signer.authority) \(uri)"
        try await req.db.writeTransaction { tx in
            guard let id = try await Activities.receive(activity, uri: activityURI, actorURI: actor, on: tx.sql) else { return }
            let job = try JobQueue.NewJob(
                kind: InboxJobs.processJob, payload: InboxJobs.Payload(activityId: id), priority: 3, maxAttempts: 5,
                uniqueKey: "federation:inbox:\(id)")
            _ = try await JobQueue.enqueue(job, on: tx.sql)
        }
        return Response(status: .accepted)
    }
}

import CadenzaFormats
import Fluent
import Foundation
import SQLKit

/// Sends a user's listens to the people following them from other instances, when their
/// listens are public: `Create` of a `Listen` naming the track as the listener's server knew it.
/// No peer federates listening history; the shape is ours, read by other Cadenzas.
struct ListenPublisher: Sendable {
    static let consumerName = "federation.listens"

    let services: AppServices

    var consumer: EventConsumer {
        EventConsumer(name: Self.consumerName, types: [ListensEvents.listen.name], start: .latest, batchSize: 500) { [self] events, tx in
            try await publish(events, on: tx.sql)
        }
    }

    func publish(_ events: [EventRecord], on db: any SQLDatabase) async throws {
        let client = try FederationClient(services: services)
        guard client.federation.enabled else { return }
        var inboxesByUser: [Int64: (username: String, inboxes: [String])?] = [:]
        for event in events {
            guard let userID = event.actorID, let listen = event.decodedPayload(as: ListenJSON.self) else { continue }
            if inboxesByUser[userID] == nil {
                if let username = try await RemoteListens.federatable(userID: userID, on: db) {
                    inboxesByUser[userID] = .some((username, try await FederationFollows.personFollowerInboxes(userID: userID, on: db)))
                } else {
                    inboxesByUser[userID] = .some(nil)
                }
            }
            guard case .some(.some(let target)) = inboxesByUser[userID], !target.inboxes.isEmpty else { continue }
            let actor = client.urls.user(target.username)
            let listenID = "\(actor)/listens/\(listen.listened_at ?? 0)-\(event.id)"
            let metadata = listen.track_metadata
            let object: JSONValue = .object([
                "type": .string("Listen"), "id": .string(listenID), "actor": .string(actor),
                "published": .string(ActorDocuments.iso((listen.listened_at ?? 0) * 1000)),
                "name": .string("\(metadata.artist_name) – \(metadata.track_name)"),
                "track": .object([
                    "type": .string("Track"), "name": .string(metadata.track_name),
                    "artists": .array([.object(["type": .string("Artist"), "name": .string(metadata.artist_name)])]),
                    "album": metadata.release_name.map { .object(["type": .string("Album"), "name": .string($0)]) } ?? .null,
                ]),
            ])
            let activity: JSONValue = .object([
                "@context": ActivityContext.value, "id": .string(Activities.newURI(client.urls)), "type": .string("Create"),
                "actor": .string(actor), "to": .array([.string(actor + "/followers")]), "object": object,
            ])
            try await FederationDeliveries.send(activity, to: target.inboxes, settings: client.federation, on: db)
        }
    }
}

import Foundation
import SQLKit

/// The federation feature's event types.
enum FederationEvents {
    struct FollowChange: Codable, Sendable {
        var followId: Int64
        /// `@user@host` of the remote side.
        var remote: String
        /// What is followed: a library's name, or a person.
        var object: String
        var objectKind: String
        var status: String
    }

    /// Someone on another instance asked to follow a library of ours that needs approval.
    static let followRequested = EventType<FollowChange>("federation.follow_requested", visibility: .user, subjectType: "follow")
    /// A library or person we asked to follow answered (approved or rejected).
    static let followAnswered = EventType<FollowChange>("federation.follow_answered", visibility: .user, subjectType: "follow")

    static let all = [followRequested.descriptor, followAnswered.descriptor]

    static let notifiable = [
        NotifiableEvent(type: followRequested.name, references: { $0.audienceUserID == nil ? [.admin] : [] }) { event, _ in
            guard let change = event.decodedPayload(as: FollowChange.self) else { return nil }
            return EventNotice(
                title: "\(change.remote) asks to follow \(change.object)", body: "Approve or refuse it on the federation page.",
                link: "/#/federation")
        },
        NotifiableEvent(type: followAnswered.name) { event, _ in
            guard let change = event.decodedPayload(as: FollowChange.self) else { return nil }
            let verb = change.status == "approved" ? "accepted" : "refused"
            return EventNotice(title: "\(change.remote) \(verb) your follow of \(change.object)", link: "/#/federation")
        },
    ]

    /// `audienceUserID` nil: administrators' business (a library no user owns).
    static func append(
        _ type: EventType<FollowChange>, _ follow: FederationFollow, remote: String, object: String, audienceUserID: Int64?,
        on db: any SQLDatabase
    ) async throws {
        try await EventStore.append(
            type,
            payload: FollowChange(
                followId: follow.id, remote: remote, object: object, objectKind: follow.objectKind, status: follow.status.rawValue),
            actorID: nil, subjectID: String(follow.id), audienceUserID: audienceUserID,
            visibility: audienceUserID == nil ? .admin : nil, on: db)
    }
}

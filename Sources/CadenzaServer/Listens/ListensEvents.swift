import SQLKit

extension EventVisibility {
    /// The actor, the audience user, and everyone who follows the actor.
    static let followers = EventVisibility("followers")
}

/// The listens feature's event types. Listens and playing-now go to followers unless the
/// listener's listens are private (the writer then narrows them to `.user`).
enum ListensEvents {
    struct Imported: Encodable, Sendable {
        var userName: String
        var count: Int
        var source: String
    }

    struct Deleted: Encodable, Sendable {
        var listenedAt: Int64
        var recordingMsid: String
    }

    struct ImportProgress: Encodable, Sendable {
        var importId: String
        var state: String
        var imported: Int64
        var duplicates: Int64
        var skipped: Int64
        var error: String?
    }

    /// A user stopped letting their listens shape others' recommendations (went private or opted out).
    struct SharingWithdrawn: Codable, Sendable {
        var userId: Int64
    }

    struct FollowChange: Encodable, Sendable {
        var followerId: String
        var followeeId: String
    }

    static let listen = EventType<ListenJSON>("listen", visibility: .followers, subjectType: "recording")
    static let playingNow = EventType<ListenJSON>("playing_now", visibility: .followers, subjectType: "user")
    /// A listen by someone followed on another instance, for the one follower it is kept for
    /// (not a `listen`: notification rules about "me" would take it for news about its audience).
    static let remoteListen = EventType<ListenJSON>("listen.remote", visibility: .user, subjectType: "recording")
    /// Instead of one `listen` per listen, for batches too big to announce singly.
    static let imported = EventType<Imported>("listens.imported", visibility: .user)
    static let deleted = EventType<Deleted>("listen.deleted", visibility: .user, subjectType: "recording")
    static let importProgress = EventType<ImportProgress>("listens.import.progress", visibility: .user, subjectType: "listen_import")
    static let importFinished = EventType<ImportProgress>("listens.import.finished", visibility: .user, subjectType: "listen_import")
    static let followed = EventType<FollowChange>("user.followed", visibility: .user, subjectType: "user")
    static let unfollowed = EventType<FollowChange>("user.unfollowed", visibility: .user, subjectType: "user")
    static let sharingWithdrawn = EventType<SharingWithdrawn>("listens.sharing_withdrawn", visibility: .system, subjectType: "user")

    static let all =
        [listen, playingNow, remoteListen].map(\.descriptor) + [imported.descriptor, deleted.descriptor]
        + [importProgress, importFinished].map(\.descriptor) + [followed, unfollowed].map(\.descriptor)
        + [sharingWithdrawn.descriptor]
}

/// Followers of an event's actor receive its `followers` events. Whom the viewer follows is read
/// once per stream and kept current from the viewer's own follow events.
struct FollowersAudience: EventAudience {
    var visibility: EventVisibility { .followers }

    func filter(for viewer: EventViewer, on db: any SQLDatabase) async throws -> any EventAudienceFilter {
        Filter(viewer: viewer.userID, following: try await Follows.followees(of: viewer.userID, on: db))
    }

    struct Filter: EventAudienceFilter {
        let viewer: Int64
        var following: Set<Int64>

        mutating func observe(_ event: EventRecord) {
            guard event.actorID == viewer, let followee = event.subjectID.flatMap(Int64.init) else { return }
            if event.type == ListensEvents.followed.name { following.insert(followee) }
            if event.type == ListensEvents.unfollowed.name { following.remove(followee) }
        }

        func includes(_ event: EventRecord) -> Bool {
            event.actorID.map(following.contains) == true
        }
    }
}

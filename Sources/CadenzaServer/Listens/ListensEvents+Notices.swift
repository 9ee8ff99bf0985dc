import SQLKit

/// What notifications say about listens and follows.
extension ListensEvents {
    private struct Follow: Decodable {
        var followerId: String
    }

    private struct ImportState: Decodable {
        var state: String
        var imported: Int64
        var duplicates: Int64
        var error: String?
    }

    static let notifiable = [
        NotifiableEvent(type: followed.name) { event, db in
            guard let follower = event.actorID else { return nil }
            let name = try await userName(follower, on: db) ?? "Someone"
            return EventNotice(title: "\(name) follows you", body: "They see your listens now.", link: "/#/history")
        },
        NotifiableEvent(
            type: importFinished.name, severityOf: { event in event.decodedPayload(as: ImportState.self)?.error == nil ? .info : .error }
        ) { event, _ in
            guard let state = event.decodedPayload(as: ImportState.self) else { return nil }
            if let error = state.error { return EventNotice(title: "Listen import failed", body: error, link: "/#/settings") }
            return EventNotice(
                title: "Listen import finished", body: "\(state.imported) listens imported, \(state.duplicates) already there", link: "/#/history")
        },
        // Someone I follow is listening now: worth telling only while it lasts.
        NotifiableEvent(type: playingNow.name, expiresAfterMs: 10 * 60_000) { event, _ in
            guard let listen = event.decodedPayload(as: ListenJSON.self) else { return nil }
            return EventNotice(
                title: "\(listen.user_name) is listening to \(listen.track_metadata.track_name)", body: listen.track_metadata.artist_name,
                link: "/#/history")
        },
        NotifiableEvent(type: listen.name) { event, _ in
            guard let listen = event.decodedPayload(as: ListenJSON.self) else { return nil }
            return EventNotice(
                title: "\(listen.user_name) listened to \(listen.track_metadata.track_name)", body: listen.track_metadata.artist_name,
                link: "/#/history")
        },
    ]

    static func userName(_ id: Int64, on db: any SQLDatabase) async throws -> String? {
        try await db.raw("SELECT username FROM users WHERE id = \(bind: id)").first()?.decode(column: "username", as: String.self)
    }
}

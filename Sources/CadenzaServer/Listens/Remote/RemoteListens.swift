import CadenzaFormats
import Foundation
import SQLKit

/// A listen by someone on another instance, as their server told us.
struct RemoteListen: Sendable, Equatable {
    var actorURI: String
    var actorName: String
    var activityURI: String
    var listenedAt: Int64
    var trackName: String
    var artistName: String
    var releaseName: String?
}

/// Listens of people followed on other instances: stored per local follower, shown in their
/// feed and announced on their live stream (`listen.remote`, from `@user@host`). Federation brings
/// them in through these functions; nothing else writes them.
enum RemoteListens {
    /// Keeps the listen for each follower; a listen already kept (the same activity) is not
    /// kept or announced twice.
    static func record(_ listen: RemoteListen, for followers: [Int64], announce: Bool = true, on db: any SQLDatabase) async throws {
        let now = Clock.nowMillis()
        var kept: [Int64] = []
        for follower in Set(followers).sorted() {
            let inserted = try await db.raw(
                """
                INSERT INTO remote_listens (follower_user_id, actor_uri, actor_name, activity_uri, listened_at, track_name, artist_name,
                    release_name, created_at)
                VALUES (\(bind: follower), \(bind: listen.actorURI), \(bind: listen.actorName), \(bind: listen.activityURI),
                    \(bind: listen.listenedAt), \(bind: listen.trackName), \(bind: listen.artistName), \(bind: listen.releaseName), \(bind: now))
                ON CONFLICT (follower_user_id, activity_uri) DO NOTHING RETURNING id
                """
            ).first()
            if inserted != nil { kept.append(follower) }
        }
        // Events last: appending one holds the event log's lock until the transaction ends.
        for follower in kept where announce {
            try await EventStore.append(
                ListensEvents.remoteListen, payload: json(listen, insertedAt: now / 1000), actorID: nil, audienceUserID: follower, on: db)
        }
    }

    /// Forgets what a follower kept of someone they no longer follow.
    static func forget(actorURI: String, followerID: Int64, on db: any SQLDatabase) async throws {
        try await db.raw("DELETE FROM remote_listens WHERE actor_uri = \(bind: actorURI) AND follower_user_id = \(bind: followerID)").run()
    }

    /// The newest `count` remote listens in a follower's feed.
    static func recent(followerID: Int64, count: Int, on db: any SQLDatabase) async throws -> [ListenJSON] {
        try await db.raw(
            """
            SELECT * FROM remote_listens WHERE follower_user_id = \(bind: followerID) ORDER BY listened_at DESC, id DESC LIMIT \(bind: count)
            """
        ).all().map { row in
            json(
                RemoteListen(
                    actorURI: try row.decode(column: "actor_uri", as: String.self), actorName: try row.decode(column: "actor_name", as: String.self),
                    activityURI: try row.decode(column: "activity_uri", as: String.self),
                    listenedAt: try row.decode(column: "listened_at", as: Int64.self),
                    trackName: try row.decode(column: "track_name", as: String.self),
                    artistName: try row.decode(column: "artist_name", as: String.self),
                    releaseName: try row.decode(column: "release_name", as: String?.self)),
                insertedAt: try row.decode(column: "created_at", as: Int64.self) / 1000)
        }
    }

    static func json(_ listen: RemoteListen, insertedAt: Int64) -> ListenJSON {
        ListenJSON(
            listenedAt: listen.listenedAt, insertedAt: insertedAt, msid: nil, userName: listen.actorName,
            metadata: .init(
                artist_name: listen.artistName, track_name: listen.trackName, release_name: listen.releaseName,
                additional_info: ["origin_url": .string(listen.activityURI)]))
    }

    /// The username of a local user whose listens may leave this instance (they are public).
    static func federatable(userID: Int64, on db: any SQLDatabase) async throws -> String? {
        guard let owner = try await ListenOwner.load(userID: userID, on: db), owner.visibility == "public" else { return nil }
        return owner.username
    }
}

import Foundation
import SQLKit

/// What a user is playing right now: one row per user that expires after the track's duration
/// (600 s when unknown), announced to the user's followers when it changes. The one now-playing
/// of the platform: ListenBrainz's playing-now, Last.fm's updateNowPlaying and Subsonic's
/// getNowPlaying (which lists those that name a library track) all read it.
enum PlayingNow {
    static let defaultSeconds: Int64 = 600

    static func set(_ listen: IncomingListen, owner: ListenOwner, client: String, on db: any SQLDatabase) async throws {
        let now = Clock.nowMillis()
        let seconds = listen.durationMs.map { max(1, $0 / 1000) } ?? defaultSeconds
        let metadata = ListenJSON.TrackMetadata(
            artist_name: listen.artistName, track_name: listen.trackName,
            release_name: listen.releaseName, additional_info: listen.additionalInfo)
        let text = try JSONValue.text(metadata)
        let previous = try await db.raw(
            """
            SELECT track_metadata FROM listen_playing_now WHERE user_id = \(bind: owner.userID) AND expires_at > \(bind: now)
            """
        ).first()?.decode(column: "track_metadata", as: String.self)
        try await db.raw(
            """
            INSERT INTO listen_playing_now (user_id, client, track_metadata, started_at, expires_at, track_id)
            VALUES (\(bind: owner.userID), \(bind: client), \(bind: text), \(bind: now), \(bind: now + seconds * 1000), \(bind: listen.trackID))
            ON CONFLICT (user_id) DO UPDATE SET client = excluded.client, track_metadata = excluded.track_metadata,
              started_at = excluded.started_at, expires_at = excluded.expires_at, track_id = excluded.track_id
            """
        ).run()
        let changed =
            previous.flatMap { try? JSONDecoder().decode(ListenJSON.TrackMetadata.self, from: Data($0.utf8)) }
            .map { $0.artist_name != metadata.artist_name || $0.track_name != metadata.track_name } ?? true
        if changed {
            let payload = ListenJSON(listenedAt: nil, insertedAt: nil, msid: nil, userName: owner.username, metadata: metadata, playingNow: true)
            try await EventStore.append(
                ListensEvents.playingNow, payload: payload, actorID: owner.userID, subjectID: String(owner.userID),
                audienceUserID: owner.userID, visibility: owner.liveVisibility, on: db)
        }
    }

    static func current(owner: ListenOwner, on db: any SQLDatabase) async throws -> ListenJSON? {
        let row = try await db.raw(
            """
            SELECT track_metadata FROM listen_playing_now WHERE user_id = \(bind: owner.userID) AND expires_at > \(bind: Clock.nowMillis())
            """
        ).first()
        guard let text = try row?.decode(column: "track_metadata", as: String.self),
            let metadata = try? JSONDecoder().decode(ListenJSON.TrackMetadata.self, from: Data(text.utf8))
        else { return nil }
        return ListenJSON(listenedAt: nil, insertedAt: nil, msid: nil, userName: owner.username, metadata: metadata, playingNow: true)
    }

    /// Clears the user's playing-now; with `client` (and `trackID`), only when that client set it
    /// (for that track). Answers whether there was one.
    static func clear(owner: ListenOwner, client: String?, trackID: Int64? = nil, on db: any SQLDatabase) async throws -> Bool {
        let byClient: SQLQueryString = client.map { "AND client = \(bind: $0)" } ?? ""
        let byTrack: SQLQueryString = trackID.map { "AND track_id = \(bind: $0)" } ?? ""
        return
            !(try await db.raw(
                """
                DELETE FROM listen_playing_now WHERE user_id = \(bind: owner.userID) \(byClient) \(byTrack) RETURNING user_id
                """
            ).all().isEmpty)
    }

    /// Someone playing a library track now, for the Subsonic now-playing list.
    struct TrackPlay: Sendable {
        var trackID: Int64
        var username: String
        var client: String
        var startedAt: Int64
    }

    /// Everyone playing a library track, newest first (the caller shows only tracks its viewer may see).
    static func tracksPlaying(now: Int64, limit: Int, on db: any SQLDatabase) async throws -> [TrackPlay] {
        try await db.raw(
            """
            SELECT n.track_id, n.client, n.started_at, u.username FROM listen_playing_now n JOIN users u ON u.id = n.user_id
            WHERE n.expires_at > \(bind: now) AND n.track_id IS NOT NULL ORDER BY n.started_at DESC LIMIT \(bind: limit)
            """
        ).all().map { row in
            TrackPlay(
                trackID: try row.decode(column: "track_id", as: Int64.self), username: try row.decode(column: "username", as: String.self),
                client: try row.decode(column: "client", as: String.self), startedAt: try row.decode(column: "started_at", as: Int64.self))
        }
    }
}

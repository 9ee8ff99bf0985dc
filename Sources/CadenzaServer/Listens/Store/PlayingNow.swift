import Foundation
import SQLKit

/// What a user is playing right now: one row per user that expires after the track's duration
/// (600 s when unknown), announced to the user's followers when it changes.
enum PlayingNow {
    static let defaultSeconds: Int64 = 600

    static func set(_ listen: IncomingListen, owner: ListenOwner, client: String, on db: any SQLDatabase) async throws {
        let now = Clock.nowMillis()
        let seconds = listen.durationMs.map { max(1, $0 / 1000) } ?? defaultSeconds
        let metadata = ListenJSON.TrackMetadata(artist_name: listen.artistName, track_name: listen.trackName,
                                                release_name: listen.releaseName, additional_info: listen.additionalInfo)
        let text = try JSONValue.text(metadata)
        let previous = try await db.raw("""
            SELECT track_metadata FROM listen_playing_now WHERE user_id = \(bind: owner.userID) AND expires_at > \(bind: now)
            """).first()?.decode(column: "track_metadata", as: String.self)
        try await db.raw("""
            INSERT INTO listen_playing_now (user_id, client, track_metadata, started_at, expires_at)
            VALUES (\(bind: owner.userID), \(bind: client), \(bind: text), \(bind: now), \(bind: now + seconds * 1000))
            ON CONFLICT (user_id) DO UPDATE SET client = excluded.client, track_metadata = excluded.track_metadata,
              started_at = excluded.started_at, expires_at = excluded.expires_at
            """).run()
        let changed = previous.flatMap { try? JSONDecoder().decode(ListenJSON.TrackMetadata.self, from: Data($0.utf8)) }
            .map { $0.artist_name != metadata.artist_name || $0.track_name != metadata.track_name } ?? true
        if changed {
            let payload = ListenJSON(listenedAt: nil, insertedAt: nil, msid: nil, userName: owner.username, metadata: metadata, playingNow: true)
            try await EventStore.append(ListensEvents.playingNow, payload: payload, actorID: owner.userID, subjectID: String(owner.userID),
                                        audienceUserID: owner.userID, visibility: owner.liveVisibility, on: db)
        }
    }

    static func current(owner: ListenOwner, on db: any SQLDatabase) async throws -> ListenJSON? {
        let row = try await db.raw("""
            SELECT track_metadata FROM listen_playing_now WHERE user_id = \(bind: owner.userID) AND expires_at > \(bind: Clock.nowMillis())
            """).first()
        guard let text = try row?.decode(column: "track_metadata", as: String.self),
              let metadata = try? JSONDecoder().decode(ListenJSON.TrackMetadata.self, from: Data(text.utf8)) else { return nil }
        return ListenJSON(listenedAt: nil, insertedAt: nil, msid: nil, userName: owner.username, metadata: metadata, playingNow: true)
    }

    /// Clears the user's playing-now; with `client`, only when that client set it.
    static func clear(owner: ListenOwner, client: String?, on db: any SQLDatabase) async throws -> Bool {
        let rows: [any SQLRow]
        if let client {
            rows = try await db.raw("""
                DELETE FROM listen_playing_now WHERE user_id = \(bind: owner.userID) AND client = \(bind: client) RETURNING user_id
                """).all()
        } else {
            rows = try await db.raw("DELETE FROM listen_playing_now WHERE user_id = \(bind: owner.userID) RETURNING user_id").all()
        }
        return !rows.isEmpty
    }
}

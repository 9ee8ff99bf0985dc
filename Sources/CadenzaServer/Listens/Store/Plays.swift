import SQLKit

/// Plays from Cadenza's own players (Subsonic apps, the web player): a finished play is a listen
/// (matched to its track, so play counts and stats follow); a started one is the user's
/// playing-now, the one now-playing every API reads.
enum Plays {
    static func record(userID: Int64, trackID: Int64, at: Int64, client: String, on db: any SQLDatabase) async throws {
        guard let owner = try await ListenOwner.load(userID: userID, on: db),
            var listen = try await listen(trackID: trackID, client: client, on: db)
        else { return }
        listen.listenedAt = at / 1000
        try await ListenStore.ingest([listen], owner: owner, source: client, on: db)
        _ = try await PlayingNow.clear(owner: owner, client: client, trackID: trackID, on: db)
    }

    /// Ends a client's playing-now (of `trackID`, when given); answers whether there was one.
    static func endNowPlaying(userID: Int64, trackID: Int64?, client: String, on db: any SQLDatabase) async throws -> Bool {
        guard let owner = try await ListenOwner.load(userID: userID, on: db) else { return false }
        return try await PlayingNow.clear(owner: owner, client: client, trackID: trackID, on: db)
    }

    /// ListenBrainz counts a play as a listen after half the track or four minutes, whichever is first.
    static func reachedListen(position: Int64, durationMs: Int64) -> Bool {
        let threshold = durationMs > 0 ? min(durationMs / 2, 240_000) : 240_000
        return position >= threshold
    }

    static func nowPlaying(userID: Int64, trackID: Int64, client: String, on db: any SQLDatabase) async throws {
        guard let owner = try await ListenOwner.load(userID: userID, on: db),
            let listen = try await listen(trackID: trackID, client: client, on: db)
        else { return }
        try await PlayingNow.set(listen, owner: owner, client: client, on: db)
    }

    /// A library track described as a listen.
    static func listen(trackID: Int64, client: String, on db: any SQLDatabase) async throws -> IncomingListen? {
        guard let track = try await CatalogQueries.playable(trackID: trackID, on: db) else { return nil }
        var info: [String: JSONValue] = ["submission_client": .string(client), "media_player": .string("Cadenza")]
        if track.durationMs > 0 { info["duration_ms"] = .number(Double(track.durationMs)) }
        if let number = track.trackNumber { info["tracknumber"] = .number(Double(number)) }
        if let mbid = track.mbid { info["recording_mbid"] = .string(mbid) }
        return IncomingListen(
            listenedAt: nil, trackName: track.title,
            artistName: track.artist.isEmpty ? "Unknown Artist" : track.artist, releaseName: track.album,
            recordingMBID: track.mbid?.lowercased(), releaseMBID: nil, releaseGroupMBID: nil, artistMBIDs: [],
            durationMs: track.durationMs > 0 ? track.durationMs : nil, additionalInfo: info, trackID: trackID)
    }
}

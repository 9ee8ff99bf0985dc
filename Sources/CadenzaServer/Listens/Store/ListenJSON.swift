import Foundation

/// A listen in ListenBrainz's JSON shape: what `/1/` answers, what exports contain and what
/// `listen`/`playing_now` events carry.
struct ListenJSON: Codable, Sendable {
    struct TrackMetadata: Codable, Sendable {
        var artist_name: String
        var track_name: String
        var release_name: String?
        var additional_info: [String: JSONValue]
    }

    var listened_at: Int64?
    var inserted_at: Int64?
    var recording_msid: String?
    var user_name: String
    var track_metadata: TrackMetadata
    var playing_now: Bool?
    /// The local library track this listen was matched to, when the reader may see it.
    var cadenza_track_id: String?

    init(listen: IncomingListen, msid: String?, owner: ListenOwner, insertedAt: Int64?, trackID: Int64?) {
        var info = listen.additionalInfo
        if let msid { info["recording_msid"] = .string(msid) }
        listened_at = listen.listenedAt
        inserted_at = insertedAt
        recording_msid = msid
        user_name = owner.username
        track_metadata = TrackMetadata(
            artist_name: listen.artistName, track_name: listen.trackName,
            release_name: listen.releaseName, additional_info: info)
        cadenza_track_id = trackID.map(String.init)
    }

    init(
        listenedAt: Int64?, insertedAt: Int64?, msid: String?, userName: String, metadata: TrackMetadata,
        playingNow: Bool? = nil, trackID: String? = nil
    ) {
        listened_at = listenedAt
        inserted_at = insertedAt
        recording_msid = msid
        user_name = userName
        track_metadata = metadata
        playing_now = playingNow
        cadenza_track_id = trackID
    }

    func encode(to encoder: any Encoder) throws {
        // Listens always carry cadenza_track_id (null when unmatched); absent optionals otherwise stay absent.
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(listened_at, forKey: .listened_at)
        try c.encodeIfPresent(inserted_at, forKey: .inserted_at)
        try c.encodeIfPresent(recording_msid, forKey: .recording_msid)
        try c.encode(user_name, forKey: .user_name)
        try c.encode(track_metadata, forKey: .track_metadata)
        try c.encodeIfPresent(playing_now, forKey: .playing_now)
        if playing_now == nil { try c.encode(cadenza_track_id, forKey: .cadenza_track_id) }
    }
}

import Foundation

/// The form fields that describe a listen in the legacy scrobbling protocols (Last.fm 2.0 and
/// AudioScrobbler 1.2 name the same things differently), turned into a ListenBrainz listen
/// document so both go through the same validation.
struct FormListen {
    var artist, track, album, timestamp, duration, trackNumber, mbid: String
    var client: String
    /// Protocol-specific extras: form field → `additional_info` key.
    var extras: [(field: String, key: String)]

    static let lastfm = FormListen(
        artist: "artist", track: "track", album: "album", timestamp: "timestamp", duration: "duration",
        trackNumber: "trackNumber", mbid: "mbid", client: "Last.fm API",
        extras: [("albumArtist", "album_artist")])
    static let audioscrobbler = FormListen(
        artist: "a", track: "t", album: "b", timestamp: "i", duration: "l", trackNumber: "n",
        mbid: "m", client: "AudioScrobbler 1.2", extras: [("o", "source")])

    /// `value` reads one field (with the protocol's index suffix applied); empty fields count as absent.
    func document(withTimestamp: Bool, _ value: (String) -> String?) -> [String: JSONValue] {
        func field(_ name: String) -> String? { value(name).flatMap { $0.isEmpty ? nil : $0 } }
        var info: [String: JSONValue] = ["submission_client": .string(client)]
        if let seconds = field(duration).flatMap(Int.init), seconds > 0 { info["duration"] = .number(Double(seconds)) }
        if let number = field(trackNumber).flatMap(Int.init) { info["tracknumber"] = .number(Double(number)) }
        if let id = field(mbid), UUID(uuidString: id) != nil { info["recording_mbid"] = .string(id) }
        for extra in extras {
            if let text = field(extra.field) { info[extra.key] = .string(text) }
        }
        var metadata: [String: JSONValue] = [
            "artist_name": field(artist).map(JSONValue.string) ?? .null,
            "track_name": field(track).map(JSONValue.string) ?? .null,
            "additional_info": .object(info),
        ]
        if let name = field(album) { metadata["release_name"] = .string(name) }
        var document: [String: JSONValue] = ["track_metadata": .object(metadata)]
        if withTimestamp { document["listened_at"] = field(timestamp).map(JSONValue.string) ?? .null }
        return document
    }
}

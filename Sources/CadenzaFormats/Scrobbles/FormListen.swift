import Foundation

/// The form fields that describe a listen in the legacy scrobbling protocols (Last.fm 2.0 and
/// AudioScrobbler 1.2 name the same things differently), turned into a ListenBrainz listen
/// document so both go through the same validation.
public struct FormListen: Sendable {
    public var artist, track, album, timestamp, duration, trackNumber, mbid: String
    public var client: String
    /// Protocol-specific extras: form field → `additional_info` key.
    public var extras: [(field: String, key: String)]

    public static let lastfm = FormListen(
        artist: "artist", track: "track", album: "album", timestamp: "timestamp", duration: "duration",
        trackNumber: "trackNumber", mbid: "mbid", client: "Last.fm API",
        extras: [("albumArtist", "album_artist")])
    public static let audioscrobbler = FormListen(
        artist: "a", track: "t", album: "b", timestamp: "i", duration: "l", trackNumber: "n",
        mbid: "m", client: "AudioScrobbler 1.2", extras: [("o", "source")])

    /// `value` reads one field (with the protocol's index suffix applied); empty fields count as absent.
    public func document(withTimestamp: Bool, _ value: (String) -> String?) -> [String: JSONValue] {
        func field(_ name: String) -> String? { value(name).flatMap { $0.isEmpty ? nil : $0 } }
        var info: [String: JSONValue] = ["submission_client": .string(client)]
        // Any Int converts to Double without a trap; the validator bounds the values.
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

    /// The indices of the listens in a batch (`artist[3]`, `track[3]`): those in `0..<max` that
    /// name an artist or a track; with no index at all, `artist`/`track` are entry 0. An index
    /// outside `0..<max` refuses the whole request (the client sent more than a batch may hold).
    public func indices(in params: [String: String], max: Int) throws(ParameterError) -> [Int] {
        var found = (0..<max).filter { params["\(artist)[\($0)]"] != nil || params["\(track)[\($0)]"] != nil }
        if found.isEmpty, params[artist] != nil || params[track] != nil { found = [0] }
        let beyond = params.keys.contains { key in
            guard let open = key.firstIndex(of: "["), key.hasSuffix("]"),
                let index = Int(key[key.index(after: open)..<key.index(before: key.endIndex)])
            else { return false }
            return index >= max || index < 0
        }
        if beyond { throw .invalid("at most \(max) scrobbles per request") }
        guard !found.isEmpty else { throw .missing("\(artist)[0] and \(track)[0]") }
        return found
    }

    /// Last.fm's `ignoredMessage` code for a listen the rules refused: 1 artist, 2 track,
    /// 3 timestamp too old, 4 timestamp too new.
    public static func ignoredCode(for error: ListenBrainzError) -> Int {
        if error.message.contains("listened_at is too high") { return 4 }
        if error.message.contains("listened_at") { return 3 }
        if error.message.contains("artist_name") { return 1 }
        return 2
    }
}

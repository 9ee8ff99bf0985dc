import CadenzaFormats
import CadenzaTags
import Foundation

/// Reads an Audio object (Funkwhale's shape: the track, its album and artists inline) into what
/// the catalog stores. Liberal in what it takes, bounded in what it keeps; nil when the object
/// is not audio served by `authority`.
enum RemoteAudioParser {
    static func parse(_ value: JSONValue, authority: String) -> (audio: RemoteAudio, library: String?)? {
        guard value.typeName == "Audio", let id = value["id"]?.string, id.utf8.count <= 2000,
            FederationURLs.authority(of: id) == authority
        else { return nil }
        let link = (value["url"] ?? .null).array.first { $0.string != nil || $0["href"]?.string != nil }
        guard let href = link?.string ?? link?["href"]?.string, href.utf8.count <= 2000, FederationURLs.authority(of: href) == authority else {
            return nil
        }
        // Only ever an audio type we name ourselves: the value becomes our Content-Type.
        let mediaType = mime(format(link?["mediaType"]?.string ?? value["mediaType"]?.string ?? "audio/mpeg"))
        let track = value["track"] ?? .null
        let album = track["album"] ?? .null
        var tags = AudioTags()
        tags.title = text(track["name"]) ?? text(value["name"]) ?? "Untitled"
        tags.artists = names(track["artists"])
        tags.album = text(album["name"])
        tags.albumArtists = names(album["artists"])
        tags.trackNumber = small(track["position"])
        tags.discNumber = small(track["disc"])
        tags.year = (text(album["released"]) ?? "").prefix(4).allSatisfy(\.isNumber) ? Int((text(album["released"]) ?? "").prefix(4)) : nil
        tags.recordingMBID = mbid(track["musicbrainzId"])
        tags.albumMBID = mbid(album["musicbrainzId"])
        tags.artistMBIDs = (track["artists"] ?? .null).array.compactMap { mbid($0["musicbrainzId"]) }
        tags.format = format(mediaType)
        // Seconds on the wire; at most a day is believed.
        tags.durationMs = Int(min(max(value["duration"]?.int ?? 0, 0), 86_400)) * 1000
        tags.bitrateKbps = Int(min(max(value["bitrate"]?.int ?? 0, 0), 100_000_000) / 1000)
        let size = min(max(value["size"]?.int ?? 0, 0), 1 << 40)
        let updated = date(value["updated"]) ?? date(value["published"]) ?? 0
        var audio = RemoteAudio(uri: id, streamURL: href, mediaType: mediaType, size: size, updatedMillis: updated, tags: tags)
        audio.trackURI = track["id"]?.string.flatMap { FederationURLs.authority(of: $0) == authority ? String($0.prefix(2000)) : nil }
        audio.albumURI = album["id"]?.string.flatMap { FederationURLs.authority(of: $0) == authority ? String($0.prefix(2000)) : nil }
        audio.document = value.serialized
        return (audio, value["library"]?.idValue)
    }

    static func text(_ value: JSONValue?) -> String? {
        guard let text = value?.string?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else { return nil }
        return String(text.prefix(500))
    }

    static func names(_ value: JSONValue?) -> [String] {
        Array((value ?? .null).array.compactMap { text($0["name"]) ?? text($0) }.prefix(20))
    }

    static func small(_ value: JSONValue?) -> Int? {
        guard let n = value?.int, (0...10_000).contains(n) else { return nil }
        return Int(n)
    }

    static func mbid(_ value: JSONValue?) -> String? {
        guard let text = value?.string, text.count == 36, UUID(uuidString: text) != nil else { return nil }
        return text.lowercased()
    }

    static func date(_ value: JSONValue?) -> Int64? {
        guard let text = value?.string, text.utf8.count <= 64 else { return nil }
        let parsed = (try? Date(text, strategy: .iso8601)) ?? (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text))
        return parsed.map { Int64($0.timeIntervalSince1970 * 1000) }
    }

    static func mime(_ format: String) -> String {
        switch format {
        case "flac": "audio/flac"
        case "ogg": "audio/ogg"
        case "opus": "audio/opus"
        case "m4a": "audio/mp4"
        case "wav": "audio/wav"
        default: "audio/mpeg"
        }
    }

    static func format(_ mediaType: String) -> String {
        switch mediaType.lowercased().split(separator: ";").first.map(String.init) ?? "" {
        case "audio/flac", "audio/x-flac": "flac"
        case "audio/ogg", "audio/vorbis": "ogg"
        case "audio/opus": "opus"
        case "audio/mp4", "audio/aac", "audio/x-m4a": "m4a"
        case "audio/wav", "audio/x-wav": "wav"
        default: "mp3"
        }
    }
}

import CadenzaFormats

/// Applies an updated Track, Album or Artist object to an Audio object that embeds it: the
/// update's fields replace the embedded one's (its id and type stay), wherever it appears.
enum MetadataPatch {
    static func apply(_ update: JSONValue, kind: String, id: String, to audio: JSONValue) -> JSONValue {
        guard case .object(var fields) = audio, case .object(var track) = fields["track"] ?? .null else { return audio }
        switch kind {
        case "Track" where track["id"]?.string == id:
            track = merge(track, update)
        case "Album":
            if let album = track["album"], album["id"]?.string == id { track["album"] = .object(merge(objectFields(album), update)) }
        case "Artist":
            track["artists"] = replaceArtist(track["artists"], id: id, update: update)
            if case .object(var album) = track["album"] ?? .null {
                album["artists"] = replaceArtist(album["artists"], id: id, update: update)
                track["album"] = .object(album)
            }
        default:
            return audio
        }
        fields["track"] = .object(track)
        return .object(fields)
    }

    private static func objectFields(_ value: JSONValue) -> [String: JSONValue] {
        if case .object(let fields) = value { return fields }
        return [:]
    }

    private static func merge(_ base: [String: JSONValue], _ update: JSONValue) -> [String: JSONValue] {
        var result = base
        for (key, value) in objectFields(update) where key != "@context" && key != "id" && key != "type" { result[key] = value }
        return result
    }

    private static func replaceArtist(_ artists: JSONValue?, id: String, update: JSONValue) -> JSONValue? {
        guard case .array(let list) = artists ?? .null else { return artists }
        return .array(list.map { $0["id"]?.string == id ? .object(merge(objectFields($0), update)) : $0 })
    }
}

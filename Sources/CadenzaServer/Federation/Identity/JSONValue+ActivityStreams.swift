import CadenzaFormats

/// Reading ActivityStreams documents liberally: a property may be a string, an object with an
/// `id`, or a list of either.
extension JSONValue {
    subscript(_ key: String) -> JSONValue? {
        if case .object(let fields) = self { return fields[key] }
        return nil
    }

    var string: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    var int: Int64? {
        if case .number(let n) = self, n.isFinite, n.rounded() == n, abs(n) < 9e15 { return Int64(n) }
        return nil
    }

    var array: [JSONValue] {
        switch self {
        case .array(let items): items
        case .null: []
        default: [self]
        }
    }

    /// The id of a value that is either an id or an object carrying one.
    var idValue: String? {
        switch self {
        case .string(let text): text
        case .object(let fields): fields["id"]?.string
        default: nil
        }
    }

    /// `type` as one string (the first, when a list).
    var typeName: String? {
        switch self["type"] {
        case .string(let text): text
        case .array(let items): items.first?.string
        default: nil
        }
    }

    /// Every id in a property that may hold one or many (`to`, `cc`, `Delete`'s object).
    func ids(_ key: String) -> [String] {
        (self[key] ?? .null).array.compactMap(\.idValue)
    }

    static func object(_ pairs: KeyValuePairs<String, JSONValue?>) -> JSONValue {
        var fields: [String: JSONValue] = [:]
        for (key, value) in pairs { if let value { fields[key] = value } }
        return .object(fields)
    }
}

/// What every document we serve starts with: ActivityStreams, the security vocabulary (for
/// `publicKey`) and Funkwhale's terms, so Funkwhale reads our libraries and audio as its own.
enum ActivityContext {
    static let value: JSONValue = .array([
        .string("https://www.w3.org/ns/activitystreams"),
        .string("https://w3id.org/security/v1"),
        .object([
            "fw": .string("https://funkwhale.audio/ns#"),
            "Library": .string("fw:Library"),
            "Track": .string("fw:Track"),
            "Album": .string("fw:Album"),
            "Artist": .string("fw:Artist"),
            "musicbrainzId": .string("fw:musicbrainzId"),
            "position": .string("fw:position"),
            "disc": .string("fw:disc"),
            "library": .object(["@id": .string("fw:library"), "@type": .string("@id")]),
            "track": .string("fw:track"),
            "album": .string("fw:album"),
            "artists": .string("fw:artists"),
            "bitrate": .string("fw:bitrate"),
            "size": .string("fw:size"),
            "manuallyApprovesFollowers": .string("as:manuallyApprovesFollowers"),
        ]),
    ])
    static let publicAddress = "https://www.w3.org/ns/activitystreams#Public"
}

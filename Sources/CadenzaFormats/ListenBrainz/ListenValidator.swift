import Foundation

/// A ListenBrainz API error: `{"code": N, "error": "…"}`, with the offending listen's keys merged
/// into the top level when one listen is at fault (that is what ListenBrainz clients see).
public struct ListenBrainzError: Error {
    public var status: Int
    public var message: String
    public var listen: [String: JSONValue]?
    public var headers: [(String, String)] = []

    public init(status: Int, message: String, listen: [String: JSONValue]? = nil, headers: [(String, String)] = []) {
        self.status = status
        self.message = message
        self.listen = listen
        self.headers = headers
    }

    public static func bad(_ message: String, _ listen: [String: JSONValue]? = nil) -> ListenBrainzError {
        ListenBrainzError(status: 400, message: message, listen: listen)
    }

    public static func unauthorized(_ message: String) -> ListenBrainzError {
        ListenBrainzError(status: 401, message: message)
    }

    public static func notFound(_ message: String) -> ListenBrainzError {
        ListenBrainzError(status: 404, message: message)
    }
}

public enum ListenType: String, Sendable {
    case single, playingNow = "playing_now", `import`
}

/// What one valid listen says, names stripped and MBIDs checked.
public struct IncomingListen: Sendable {
    public var listenedAt: Int64?
    public var trackName: String
    public var artistName: String
    public var releaseName: String?
    public var recordingMBID: String?
    public var releaseMBID: String?
    public var releaseGroupMBID: String?
    public var artistMBIDs: [String]
    public var durationMs: Int64?
    /// `additional_info` as submitted (after ListenBrainz's clean-ups), kept with the listen.
    public var additionalInfo: [String: JSONValue]
    /// A local track already known to be this listen (plays from Cadenza's own players).
    public var trackID: Int64?

    public init(
        listenedAt: Int64?, trackName: String, artistName: String, releaseName: String?, recordingMBID: String?,
        releaseMBID: String?, releaseGroupMBID: String?, artistMBIDs: [String], durationMs: Int64?,
        additionalInfo: [String: JSONValue], trackID: Int64?
    ) {
        self.listenedAt = listenedAt
        self.trackName = trackName
        self.artistName = artistName
        self.releaseName = releaseName
        self.recordingMBID = recordingMBID
        self.releaseMBID = releaseMBID
        self.releaseGroupMBID = releaseGroupMBID
        self.artistMBIDs = artistMBIDs
        self.durationMs = durationMs
        self.additionalInfo = additionalInfo
        self.trackID = trackID
    }
}

/// ListenBrainz's `submit-listens` validation, check for check and message for message, in its
/// order (see the reference notes); the whole request is rejected when any listen is invalid.
public enum ListenValidator {
    public static let maxBodyBytes = 10_240_000
    public static let maxListensPerRequest = 1000
    public static let maxListenBytes = 10_240
    public static let minimumListenedAt: Int64 = 1_033_410_600
    public static let allowedSkew: Int64 = 3600
    public static let maxTags = 50
    public static let maxTagLength = 64
    public static let maxDurationSeconds = 2_073_600

    /// Parses and validates a whole request body.
    public static func validate(body: [UInt8], now: Int64) throws -> (ListenType, [IncomingListen]) {
        if body.count > maxBodyBytes {
            throw ListenBrainzError.bad("Payload too large. Payload cannot exceed \(maxBodyBytes) bytes")
        }
        let document: JSONValue
        do {
            document = try JSONValue.parse(body)
        } catch {
            throw ListenBrainzError.bad("Cannot parse JSON document: \(describe(error))")
        }
        guard case .object(let top) = document else {
            throw ListenBrainzError.bad("Invalid JSON document submitted. Top level of JSON document should be a json object.")
        }
        guard let payloadValue = top["payload"], let typeValue = top["listen_type"] else {
            throw ListenBrainzError.bad("Invalid JSON document submitted.")
        }
        guard case .array(let payload) = payloadValue else {
            throw ListenBrainzError.bad("The payload in the JSON document should be a list of listens.")
        }
        if payload.isEmpty { throw ListenBrainzError.bad("JSON document does not contain any listens") }
        if payload.count > maxListensPerRequest {
            throw ListenBrainzError.bad("Too many listens. You may not submit more than \(maxListensPerRequest) listens at once.")
        }
        if body.count > payload.count * maxListenBytes {
            throw ListenBrainzError.bad("JSON document is too large. Each listens may not be larger than \(maxListenBytes) bytes.")
        }
        guard case .string(let rawType) = typeValue, let type = ListenType(rawValue: rawType) else {
            throw ListenBrainzError.bad("JSON document requires a valid listen_type key.")
        }
        if type != .import, payload.count > 1 {
            throw ListenBrainzError.bad("JSON document contains more than listen for a single/playing_now. It should contain only one.")
        }
        let listens = try payload.map { try validate(listen: $0, type: type, now: now) }
        return (type, listens)
    }

    public static func validate(listen value: JSONValue, type: ListenType, now: Int64) throws -> IncomingListen {
        guard case .object(let listen) = value else {
            throw ListenBrainzError.bad("JSON document must contain the key track_metadata at the top level.")
        }
        var listenedAt: Int64?
        if type == .playingNow {
            if listen["listened_at"] != nil {
                throw ListenBrainzError.bad("JSON document must not contain listened_at while submitting playing_now.", listen)
            }
            if listen.keys.contains(where: { $0 != "track_metadata" }) {
                throw ListenBrainzError.bad("JSON document may only contain track_metadata as top level key when submitting playing_now.", listen)
            }
        } else {
            guard let raw = listen["listened_at"] else {
                throw ListenBrainzError.bad("JSON document must contain the key listened_at at the top level.", listen)
            }
            guard let ts = pythonInt(raw) else {
                throw ListenBrainzError.bad("JSON document must contain an int value for listened_at.", listen)
            }
            if ts >= now + allowedSkew { throw ListenBrainzError.bad("Value for key listened_at is too high.", listen) }
            if ts < minimumListenedAt {
                throw ListenBrainzError.bad(
                    "Value for key listened_at is too low. listened_at timestamp should be greater than 1033410600 (2002-10-01 00:00:00 UTC).", listen
                )
            }
            listenedAt = ts
            if listen["track_metadata"] == nil {
                throw ListenBrainzError.bad("JSON document must contain the key track_metadata at the top level.", listen)
            }
            if listen.keys.contains(where: { $0 != "listened_at" && $0 != "track_metadata" }) {
                throw ListenBrainzError.bad("JSON document may only contain listened_at and track_metadata top level keys", listen)
            }
        }
        guard let metadataValue = listen["track_metadata"], metadataValue != .null else {
            throw ListenBrainzError.bad("JSON document may not have track_metadata with null value.", listen)
        }
        guard case .object(let metadata) = metadataValue else {
            throw ListenBrainzError.bad("JSON document may not have track_metadata with null value.", listen)
        }
        func requiredName(_ key: String) throws -> String {
            guard let raw = metadata[key] else {
                throw ListenBrainzError.bad("JSON document does not contain required field track_metadata.\(key).", listen)
            }
            guard case .string(let text) = raw else {
                throw ListenBrainzError.bad("track_metadata.\(key) must be a single string.", listen)
            }
            let stripped = strip(text)
            if stripped.isEmpty { throw ListenBrainzError.bad("field track_metadata.\(key) is empty.", listen) }
            return stripped
        }
        let trackName = try requiredName("track_name")
        let artistName = try requiredName("artist_name")
        var releaseName: String?
        if case .string(let text)? = metadata["release_name"] {
            let stripped = strip(text)
            releaseName = stripped.isEmpty ? nil : stripped
        }

        var info: [String: JSONValue] = [:]
        if case .object(let given)? = metadata["additional_info"] { info = given }
        if case .array(let tags)? = info["tags"] {
            if tags.count > maxTags {
                throw ListenBrainzError.bad(
                    "JSON document may not contain more than \(maxTags) items in track_metadata.additional_info.tags.", listen)
            }
            for case .string(let tag) in tags where tag.count > maxTagLength {
                throw ListenBrainzError.bad(
                    "JSON document may not contain track_metadata.additional_info.tags longer than \(maxTagLength) characters.", listen)
            }
        }
        if info["duration"] != nil, info["duration_ms"] != nil {
            throw ListenBrainzError.bad("JSON document should not contain both duration and duration_ms.", listen)
        }
        var durationMs: Int64?
        for (key, limit, scale) in [("duration", maxDurationSeconds, 1000), ("duration_ms", maxDurationSeconds * 1000, 1)] {
            guard let raw = info[key] else { continue }
            guard let value = pythonIntOfFloat(raw), value > 0 else {
                throw ListenBrainzError.bad("Value for \(key) is invalid, should be a positive integer.", listen)
            }
            if value > Int64(limit) {
                throw ListenBrainzError.bad("Value for \(key) is too large, max permitted value is \(limit)", listen)
            }
            info[key] = .number(Double(value))
            durationMs = value * Int64(scale)
        }
        var single: [String: String] = [:]
        for key in ["release_mbid", "recording_mbid", "release_group_mbid", "track_mbid"] {
            guard let raw = info[key] else { continue }
            if raw == .null || raw == .string("") { info[key] = nil; continue }
            guard case .string(let text) = raw, let uuid = UUID(uuidString: text) else {
                throw ListenBrainzError.bad("\(key) MBID format invalid.", listen)
            }
            single[key] = uuid.uuidString.lowercased()
        }
        var artistMBIDs: [String] = []
        for key in ["artist_mbids", "work_mbids"] {
            guard let raw = info[key] else { continue }
            guard case .array(let items) = raw else {
                if raw == .null { info[key] = nil; continue }
                throw ListenBrainzError.bad("\(key) MBID format invalid.", listen)
            }
            var kept: [JSONValue] = []
            for item in items where item != .null && item != .string("") {
                guard case .string(let text) = item, let uuid = UUID(uuidString: text) else {
                    throw ListenBrainzError.bad("\(key) MBID format invalid.", listen)
                }
                kept.append(item)
                if key == "artist_mbids" { artistMBIDs.append(uuid.uuidString.lowercased()) }
            }
            info[key] = kept.isEmpty ? nil : .array(kept)
        }
        if let null = firstStringWithNUL(value) {
            throw ListenBrainzError.bad("\(null) contains a unicode null", listen)
        }
        return IncomingListen(
            listenedAt: listenedAt, trackName: trackName, artistName: artistName, releaseName: releaseName,
            recordingMBID: single["recording_mbid"] ?? single["track_mbid"], releaseMBID: single["release_mbid"],
            releaseGroupMBID: single["release_group_mbid"], artistMBIDs: artistMBIDs, durationMs: durationMs,
            additionalInfo: info, trackID: nil)
    }

    /// Python's `str.strip()`; most names need nothing stripped, which is checked first.
    public static func strip(_ text: String) -> String {
        guard let first = text.unicodeScalars.first, let last = text.unicodeScalars.last else { return text }
        if !first.properties.isWhitespace && !last.properties.isWhitespace { return text }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Python's `int(x)`: integers, floats (truncated), booleans and integer strings.
    public static func pythonInt(_ value: JSONValue) -> Int64? {
        switch value {
        case .number(let n) where n.isFinite && abs(n) < 9e18: return Int64(n)
        case .bool(let b): return b ? 1 : 0
        case .string(let s): return Int64(s.trimmingCharacters(in: .whitespaces))
        default: return nil
        }
    }

    /// Python's `int(float(x))`.
    public static func pythonIntOfFloat(_ value: JSONValue) -> Int64? {
        switch value {
        case .number(let n) where n.isFinite && abs(n) < 9e18: return Int64(n)
        case .bool(let b): return b ? 1 : 0
        case .string(let s):
            guard let d = Double(s.trimmingCharacters(in: .whitespaces)), d.isFinite, abs(d) < 9e18 else { return nil }
            return Int64(d)
        default: return nil
        }
    }

    public static func firstStringWithNUL(_ value: JSONValue) -> String? {
        switch value {
        case .string(let s): return s.unicodeScalars.contains("\u{0}") ? s : nil
        case .array(let items): return items.lazy.compactMap(firstStringWithNUL).first
        case .object(let object):
            for (key, item) in object {
                if key.unicodeScalars.contains("\u{0}") { return key }
                if let found = firstStringWithNUL(item) { return found }
            }
            return nil
        default: return nil
        }
    }

    private static func describe(_ error: any Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error {
            return (context.underlyingError as? NSError)?.localizedDescription ?? context.debugDescription
        }
        return "\(error)"
    }
}

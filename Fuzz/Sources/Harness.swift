import CadenzaFormats
import CadenzaTags
import Foundation

/// One fuzz input: the first byte picks the parser, the rest is its input. Each parser must
/// return or throw, never trap, and what it accepts must survive a round trip where one exists.
enum Harness {
    static let targets = [
        "json", "csv", "form", "range", "lrc", "tags", "file", "listenbrainz", "query", "scrobble", "import-csv",
        "import-maloja", "import-listenbrainz",
    ]

    static func run(_ input: [UInt8]) {
        guard let selector = input.first else { return }
        let body = Array(input.dropFirst())
        let text = String(decoding: body, as: UTF8.self)
        // Added later: 255 picks the HTTP signature header, so older corpus entries keep their parser.
        if selector == 255 { return signature(text) }
        if selector == 254 { return imageSize(body) }
        switch Int(selector) % targets.count {
        case 0: json(body)
        case 1: _ = CSV.rows(text)
        case 2: form(text)
        case 3: range(body)
        case 4: lyrics(text)
        case 5: tags(text)
        case 6: file(body)
        case 7: listenBrainz(body)
        case 8: query(text)
        case 9: scrobbles(text)
        case 10: importEntries(ListenImportMapping.lastfmCSV(text, now: now))
        case 11: importEntries((try? ListenImportMapping.maloja(Data(body), now: now)) ?? [])
        default: importEntries((try? ListenImportMapping.listenBrainz(Data(body), now: now)) ?? [])
        }
    }

    /// The ListenBrainz/import JSON parser and Foundation's decoder must agree on finiteness, and
    /// what one accepts must parse again from its own output unchanged.
    static func json(_ bytes: [UInt8]) {
        guard let value = try? JSONValue.parse(bytes) else { return }
        let again = try? JSONValue.parse(Array(value.serialized.utf8))
        precondition(again == value, "JSON round trip changed the value")
        _ = try? JSONValue.text(value)
    }

    /// A `Signature` header: parsed or refused, and what parses writes out and parses back equal.
    static func signature(_ text: String) {
        _ = HTTPSignature.sha256Digest(fromHeader: text)
        guard let parsed = HTTPSignature.parse(text) else { return }
        precondition(!parsed.signature.isEmpty && !parsed.headers.isEmpty, "an empty signature parsed")
        if !parsed.keyID.contains("\""), parsed.algorithm?.contains("\"") != true, parsed.headers.allSatisfy({ !$0.contains("\"") }) {
            precondition(HTTPSignature.parse(parsed.headerValue)?.keyID == parsed.keyID, "a parsed signature does not parse back")
        }
        _ = HTTPSignature.signingString(headers: parsed.headers, method: "POST", target: "/x", value: { $0 })
    }

    /// An uploaded picture's header: its next byte picks a format's magic, the rest follows it,
    /// so every format's reader is reached. Whatever it reads is a real size.
    static func imageSize(_ bytes: [UInt8]) {
        guard let pick = bytes.first else { return }
        let magic: [[UInt8]] = [
            [0xFF, 0xD8, 0xFF], [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], Array("GIF89a".utf8), Array("RIFF\u{0}\u{0}\u{0}\u{0}WEBP".utf8),
        ]
        let data = Data(magic[Int(pick) % magic.count] + bytes.dropFirst())
        guard let size = ImageDimensions.read(data) else { return }
        precondition(size.width > 0 && size.height > 0, "an image size of zero")
    }

    static func form(_ text: String) {
        for (name, value) in FormURLEncoded.pairs(text) {
            _ = FormURLEncoded.decode(name)
            if let value { _ = FormURLEncoded.decode(value) }
        }
    }

    /// The first 8 bytes are the file size (any Int64, negative included), the rest the header.
    static func range(_ bytes: [UInt8]) {
        guard bytes.count >= 8 else { return }
        let size = bytes.prefix(8).reduce(Int64(0)) { $0 << 8 | Int64($1) }
        _ = ByteRange.check(String(decoding: bytes.dropFirst(8), as: UTF8.self), size: size)
    }

    static func lyrics(_ text: String) {
        let parsed = LRC.parse(text)
        precondition(parsed.lines.allSatisfy { $0.startMs >= 0 }, "a negative lyrics time")
    }

    /// `KEY=VALUE` lines as TagLib's property map, then the tags Cadenza keeps from them.
    static func tags(_ text: String) {
        var properties: [String: [String]] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            let parts = line.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { continue }
            properties[String(parts[0]).uppercased(), default: []].append(String(parts[1]))
        }
        let tags = AudioTags(properties: properties)
        for gain in [tags.replayGainTrackGain, tags.replayGainTrackPeak, tags.replayGainAlbumGain, tags.replayGainAlbumPeak] {
            precondition(gain.map(\.isFinite) ?? true, "a non-finite ReplayGain value")
        }
    }

    static let now: Int64 = 1_700_000_000

    /// A `submit-listens` body: ListenBrainz's rules, and what passes them is in range.
    static func listenBrainz(_ bytes: [UInt8]) {
        guard let (type, listens) = try? ListenValidator.validate(body: bytes, now: now) else { return }
        for listen in listens { check(listen, type: type) }
    }

    /// What every accepted listen satisfies, whichever protocol or file it came from.
    static func check(_ listen: IncomingListen, type: ListenType) {
        if type != .playingNow {
            let at = listen.listenedAt ?? 0
            precondition(at >= ListenValidator.minimumListenedAt && at <= now + ListenValidator.allowedSkew, "a listen time out of range")
        }
        if let duration = listen.durationMs {
            precondition(duration > 0 && duration <= Int64(ListenValidator.maxDurationSeconds) * 1000, "a duration out of range")
        }
        precondition(!listen.trackName.isEmpty && !listen.artistName.isEmpty, "an empty name")
    }

    /// Import files (Last.fm CSV, Maloja, ListenBrainz exports): every entry is a valid listen or
    /// a skip with a reason.
    static func importEntries(_ entries: [ImportEntry]) {
        for entry in entries {
            switch entry {
            case .listen(let listen): check(listen, type: .import)
            case .skipped(let reason): precondition(!reason.isEmpty, "a skip without a reason")
            }
        }
    }

    /// A Subsonic query string: each typed reader returns a value in the range asked for, or an error.
    static func query(_ text: String) {
        let params = QueryParameters(text)
        let ranges = [0...10, -5...5, Int.min...Int.max, 1...Int(Int32.max), 0...QueryParameters.maxMillis]
        for key in params.values.keys.prefix(16) {
            for range in ranges {
                if case .some(.some(let value)) = try? params.optionalInt(key, range: range) {
                    precondition(range.contains(value), "an integer outside its range")
                }
            }
            if let count = try? params.count(key, default: 10, max: 500) { precondition((0...500).contains(count), "a page size out of range") }
            if case .some(.some(let millis)) = try? params.millis(key) { precondition(millis >= 0, "a negative time") }
            if case .some(.some(let year)) = try? params.year(key) { precondition(QueryParameters.years.contains(year), "a year out of range") }
            if let values = try? params.all(key, limit: 3) { precondition(values.count <= 3, "more values than the limit") }
            _ = params.bool(key, default: false)
        }
    }

    /// Last.fm `track.scrobble` and AudioScrobbler 1.2 form fields: the batch rule, then each entry
    /// through the listen rules.
    static func scrobbles(_ text: String) {
        var fields: [String: String] = [:]
        for (key, values) in QueryParameters(text).values { fields[key] = values.first }
        for form in [FormListen.lastfm, FormListen.audioscrobbler] {
            guard let indices = try? form.indices(in: fields, max: 50) else { continue }
            precondition(!indices.isEmpty && indices.allSatisfy { (0..<50).contains($0) }, "an index outside the batch")
            for index in indices {
                let suffix = "[\(index)]"
                let document = form.document(withTimestamp: true) { fields[$0 + suffix] ?? (index == 0 ? fields[$0] : nil) }
                do {
                    check(try ListenValidator.validate(listen: .object(document), type: .import, now: now), type: .import)
                } catch let error as ListenBrainzError {
                    precondition((1...4).contains(FormListen.ignoredCode(for: error)), "an unknown ignored code")
                } catch {
                    preconditionFailure("the validator threw something other than its own error")
                }
            }
        }
    }

    /// Bytes as an audio file for TagLib (through a temporary file: TagLib reads paths).
    static func file(_ bytes: [UInt8]) {
        let path = NSTemporaryDirectory() + "cadenza-fuzz-\(getpid()).bin"
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else { return }
        defer { try? FileManager.default.removeItem(atPath: path) }
        if let tags = try? TagReader.read(path: path) {
            precondition(tags.durationMs >= 0 && tags.durationMs <= max(bytes.count, 0) * 2, "a duration past what the file can hold")
        }
        _ = TagReader.embeddedPicture(path: path)
    }
}

#if FUZZING
    @_cdecl("LLVMFuzzerTestOneInput")
    public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
        Harness.run(Array(UnsafeBufferPointer(start: data, count: size)))
        return 0
    }
#endif

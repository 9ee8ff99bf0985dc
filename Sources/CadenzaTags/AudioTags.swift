import Foundation

/// Everything Cadenza uses from one audio file's tags and stream properties.
public struct AudioTags: Sendable, Equatable {
    public var title: String?
    /// Each credited artist, in order (multi-value tags, or the single ARTIST value).
    public var artists: [String] = []
    /// How the track credits read on the sleeve ("A feat. B").
    public var artistDisplay: String?
    public var album: String?
    public var albumArtists: [String] = []
    public var genres: [String] = []
    public var trackNumber: Int?
    public var trackTotal: Int?
    public var discNumber: Int?
    public var discTotal: Int?
    public var year: Int?
    public var originalYear: Int?
    public var compilation = false
    /// MusicBrainz release-group types, primary first ("album", "ep", "single", then "live", "compilation", ...).
    public var releaseTypes: [String] = []
    public var titleSort: String?
    public var artistSort: String?
    public var albumSort: String?
    public var albumArtistSort: String?
    public var recordingMBID: String?
    public var releaseTrackMBID: String?
    public var albumMBID: String?
    public var releaseGroupMBID: String?
    public var artistMBIDs: [String] = []
    public var albumArtistMBIDs: [String] = []
    /// Beats per minute, when a tagger or DJ software wrote it (ID3 TBPM, Vorbis/APE BPM, MP4 tmpo).
    public var bpm: Int?
    public var replayGainTrackGain: Double?
    public var replayGainTrackPeak: Double?
    public var replayGainAlbumGain: Double?
    public var replayGainAlbumPeak: Double?
    public var lyrics: String?
    public var comment: String?

    /// TagLib's container name: mp3, flac, ogg, opus, m4a, wav, aiff, wv, ape, mpc, wma, spx.
    public var format: String = "unknown"
    public var durationMs: Int = 0
    public var bitrateKbps: Int = 0
    public var sampleRate: Int = 0
    public var channels: Int = 0
    public var hasEmbeddedPicture = false

    public init() {}
}

extension AudioTags {
    /// Builds tags from TagLib's unified property map (upper-case keys, possibly several values).
    public init(properties: [String: [String]]) {
        func all(_ key: String) -> [String] {
            (properties[key] ?? []).map { $0.trimmingWhitespace }.filter { !$0.isEmpty && !$0.utf8.contains(0) }
        }
        func first(_ key: String) -> String? { all(key).first }
        func number(_ key: String) -> (Int?, Int?) {
            guard let raw = first(key) else { return (nil, nil) }
            let parts = raw.split(separator: "/", maxSplits: 1).map { $0.trimmingWhitespace }
            return (parts.first.flatMap(Self.leadingInt), parts.count > 1 ? Self.leadingInt(parts[1]) : nil)
        }
        title = first("TITLE")
        let artistValues = all("ARTIST")
        let multi = all("ARTISTS")
        artists = multi.isEmpty ? artistValues : multi
        artistDisplay = artistValues.isEmpty ? nil : artistValues.joined(separator: " / ")
        album = first("ALBUM")
        albumArtists = all("ALBUMARTIST")
        // APEv2 writers (WavPack, Monkey's Audio) spell it with a space or an underscore.
        if albumArtists.isEmpty { albumArtists = all("ALBUM ARTIST") }
        if albumArtists.isEmpty { albumArtists = all("ALBUM_ARTIST") }
        genres = Self.splitGenres(all("GENRE"))
        (trackNumber, trackTotal) = number("TRACKNUMBER")
        (discNumber, discTotal) = number("DISCNUMBER")
        if trackTotal == nil { trackTotal = first("TRACKTOTAL").flatMap(Self.leadingInt) ?? first("TOTALTRACKS").flatMap(Self.leadingInt) }
        if discTotal == nil { discTotal = first("DISCTOTAL").flatMap(Self.leadingInt) ?? first("TOTALDISCS").flatMap(Self.leadingInt) }
        year = first("DATE").flatMap(Self.year) ?? first("YEAR").flatMap(Self.year)
        originalYear = first("ORIGINALDATE").flatMap(Self.year) ?? first("ORIGINALYEAR").flatMap(Self.year)
        compilation = ["1", "true", "yes"].contains(first("COMPILATION")?.lowercased() ?? "")
        releaseTypes = Self.releaseTypes(all("RELEASETYPE") + all("MUSICBRAINZ_ALBUMTYPE") + all("MUSICBRAINZ ALBUM TYPE"))
        titleSort = first("TITLESORT")
        artistSort = first("ARTISTSORT")
        albumSort = first("ALBUMSORT")
        albumArtistSort = first("ALBUMARTISTSORT")
        recordingMBID = first("MUSICBRAINZ_TRACKID").flatMap(Self.mbid)
        releaseTrackMBID = first("MUSICBRAINZ_RELEASETRACKID").flatMap(Self.mbid)
        albumMBID = first("MUSICBRAINZ_ALBUMID").flatMap(Self.mbid)
        releaseGroupMBID = first("MUSICBRAINZ_RELEASEGROUPID").flatMap(Self.mbid)
        artistMBIDs = all("MUSICBRAINZ_ARTISTID").compactMap(Self.mbid)
        albumArtistMBIDs = all("MUSICBRAINZ_ALBUMARTISTID").compactMap(Self.mbid)
        bpm = first("BPM").flatMap(Self.beatsPerMinute)
        replayGainTrackGain = first("REPLAYGAIN_TRACK_GAIN").flatMap(Self.decibels)
        replayGainTrackPeak = first("REPLAYGAIN_TRACK_PEAK").flatMap(Self.peak)
        replayGainAlbumGain = first("REPLAYGAIN_ALBUM_GAIN").flatMap(Self.decibels)
        replayGainAlbumPeak = first("REPLAYGAIN_ALBUM_PEAK").flatMap(Self.peak)
        lyrics = first("LYRICS") ?? first("UNSYNCEDLYRICS")
        comment = first("COMMENT")
    }

    /// Picard writes one value per type or "album; live"; words only, lower-cased, at most five.
    static func releaseTypes(_ values: [String]) -> [String] {
        var out: [String] = []
        for value in values {
            for part in value.split(whereSeparator: { ";/,".contains($0) }) {
                let type = part.trimmingWhitespace.lowercased()
                guard !type.isEmpty, type.count <= 32, type.allSatisfy({ $0.isLetter || $0 == " " || $0 == "-" }), !out.contains(type) else {
                    continue
                }
                out.append(type)
            }
        }
        return Array(out.prefix(5))
    }

    static func leadingInt<S: StringProtocol>(_ s: S) -> Int? {
        let digits = s.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, digits.count <= 9 else { return nil }
        return Int(digits)
    }

    /// "2004-05-01", "2004", "05/01/2004" → 2004; implausible years are dropped.
    static func year(_ s: String) -> Int? {
        let candidates = s.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        return candidates.first { (1000...2999).contains($0) }
    }

    static func mbid(_ s: String) -> String? {
        let lower = s.lowercased()
        guard lower.count == 36, UUID(uuidString: lower) != nil else { return nil }
        return lower
    }

    /// A ReplayGain gain; `inf dB`, `nan` and absurd values are dropped here, so no non-finite
    /// number reaches the catalog (JSON cannot carry one).
    static func decibels(_ s: String) -> Double? {
        Double(s.lowercased().replacingOccurrences(of: "db", with: "").trimmingWhitespace).flatMap { finite($0, in: -100...100) }
    }

    /// "128", "127.96" or "128 BPM", rounded; 0 (what some taggers write for "unknown") and
    /// values no music has are dropped.
    static func beatsPerMinute(_ s: String) -> Int? {
        let number = s.lowercased().replacingOccurrences(of: "bpm", with: "").trimmingWhitespace
        return Double(number).flatMap { finite($0, in: 1...999) }.map { Int($0.rounded()) }
    }

    /// A ReplayGain peak (1.0 is full scale; float sources can exceed it a little).
    static func peak(_ s: String) -> Double? {
        Double(s.trimmingWhitespace).flatMap { finite($0, in: 0...100) }
    }

    static func finite(_ value: Double, in range: ClosedRange<Double>) -> Double? {
        value.isFinite && range.contains(value) ? value : nil
    }

    /// ID3v1-style "Rock; Pop" and "Rock/Pop" become two genres.
    static func splitGenres(_ values: [String]) -> [String] {
        var seen = Set<String>(), result: [String] = []
        for value in values {
            for part in value.split(whereSeparator: { $0 == ";" || $0 == "/" || $0 == "\u{0}" }) {
                let genre = part.trimmingWhitespace
                guard !genre.isEmpty, genre.count <= 100, seen.insert(NameKey.make(genre)).inserted else { continue }
                result.append(genre)
            }
        }
        return result
    }
}

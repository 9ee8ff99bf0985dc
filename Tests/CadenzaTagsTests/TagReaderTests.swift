import CadenzaTags
import Foundation
import Testing

import CadenzaTestSupport

/// Files for these tests, in one temporary directory.
enum Fixture {
    static let directory: URL = (try? AudioFixtures.temporaryDirectory("tags")) ?? FileManager.default.temporaryDirectory

    static func audio(_ name: String, metadata: [String: String], seconds: Double = 1, cover: URL? = nil) throws -> String {
        try AudioFixtures.audio(at: directory.appendingPathComponent(name).path, metadata: metadata, seconds: seconds, cover: cover?.path)
    }

    static func jpeg(_ name: String) throws -> URL {
        URL(fileURLWithPath: try AudioFixtures.jpeg(at: directory.appendingPathComponent(name).path))
    }
}

@Suite struct TagReaderTests {
    static let common = [
        "title": "Night River", "artist": "Kaloven", "album": "Glass Echo", "album_artist": "Kaloven",
        "genre": "Rock;Jazz", "track": "3/12", "disc": "1/2", "date": "2004-05-01",
    ]

    @Test(arguments: ["t.mp3", "t.flac", "t.ogg", "t.opus", "t.m4a", "t.wav", "t.aiff", "t.wv"])
    func readsTagsAndPropertiesPerFormat(_ name: String) throws {
        var metadata = Self.common
        if name.hasSuffix(".wav") || name.hasSuffix(".aiff") {
            // RIFF INFO / AIFF text chunks carry only the basic fields.
            metadata = ["title": "Night River", "artist": "Kaloven", "album": "Glass Echo"]
        }
        let path = try Fixture.audio(name, metadata: metadata)
        let tags = try TagReader.read(path: path)
        #expect(tags.title == "Night River")
        #expect(tags.artists == ["Kaloven"])
        #expect(tags.album == "Glass Echo")
        #expect(abs(tags.durationMs - 1000) < 120, "duration \(tags.durationMs)")
        #expect(tags.sampleRate > 0 && tags.channels >= 1)
        if metadata.count > 3 {
            #expect(tags.albumArtists == ["Kaloven"])
            #expect(tags.trackNumber == 3 && tags.trackTotal == 12)
            #expect(tags.discNumber == 1)
            #expect(tags.year == 2004)
            #expect(tags.genres == ["Rock", "Jazz"])
        }
    }

    @Test func readsMusicBrainzIDsAndReplayGain() throws {
        let path = try Fixture.audio(
            "mb.flac",
            metadata: [
                "title": "T", "MUSICBRAINZ_TRACKID": "8F1B5A2C-0000-4000-8000-000000000001",
                "MUSICBRAINZ_ALBUMID": "8f1b5a2c-0000-4000-8000-000000000002", "MUSICBRAINZ_ARTISTID": "not-a-uuid",
                "REPLAYGAIN_TRACK_GAIN": "-6.50 dB", "REPLAYGAIN_TRACK_PEAK": "0.98", "COMPILATION": "1",
                "LYRICS": "la la la", "RELEASETYPE": "Album; Live; album; <script>",
            ])
        let tags = try TagReader.read(path: path)
        #expect(tags.recordingMBID == "8f1b5a2c-0000-4000-8000-000000000001")
        #expect(tags.albumMBID == "8f1b5a2c-0000-4000-8000-000000000002")
        #expect(tags.artistMBIDs.isEmpty)
        #expect(tags.replayGainTrackGain == -6.5)
        #expect(tags.replayGainTrackPeak == 0.98)
        #expect(tags.compilation)
        #expect(tags.lyrics == "la la la")
        #expect(tags.releaseTypes == ["album", "live"])
    }

    /// Picard's MP3 frame (TXXX "MusicBrainz Album Type") reaches the same field as FLAC's RELEASETYPE.
    @Test func readsTheReleaseTypeOfAnMP3() throws {
        let path = try Fixture.audio("type.mp3", metadata: ["title": "T", "MusicBrainz Album Type": "single"])
        #expect(try TagReader.read(path: path).releaseTypes == ["single"])
    }

    @Test func extractsEmbeddedCoverArt() throws {
        let cover = try Fixture.jpeg("cover.jpg")
        for name in ["c.mp3", "c.flac"] {
            let path = try Fixture.audio(name, metadata: ["title": "C"], cover: cover)
            let tags = try TagReader.read(path: path)
            #expect(tags.hasEmbeddedPicture, "\(name)")
            let picture = try #require(TagReader.embeddedPicture(path: path), "\(name)")
            #expect(picture.mime == "image/jpeg")
            #expect(picture.data.count > 100)
        }
        let plain = try Fixture.audio("plain.mp3", metadata: ["title": "P"])
        #expect(TagReader.embeddedPicture(path: plain) == nil)
    }

    @Test func badFilesAreErrorsNotCrashes() throws {
        let dir = Fixture.directory
        let empty = dir.appendingPathComponent("empty.mp3")
        FileManager.default.createFile(atPath: empty.path, contents: Data())
        #expect(throws: TagReader.Failure.self) { try TagReader.read(path: empty.path) }

        let text = dir.appendingPathComponent("notes.mp3")
        try "this is not audio at all, just text".write(to: text, atomically: true, encoding: .utf8)
        #expect(throws: TagReader.Failure.self) { try TagReader.read(path: text.path) }

        let whole = try Fixture.audio("whole.flac", metadata: ["title": "W"], seconds: 2)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: whole))
        let truncated = dir.appendingPathComponent("truncated.flac")
        try bytes.prefix(60).write(to: truncated)
        #expect(throws: TagReader.Failure.self) { try TagReader.read(path: truncated.path) }

        #expect(throws: TagReader.Failure.self) { try TagReader.read(path: dir.appendingPathComponent("missing.mp3").path) }
    }

    @Test func sniffsContentNotNames() throws {
        let flac = try Fixture.audio("sniff.flac", metadata: [:])
        let mp3 = try Fixture.audio("sniff.mp3", metadata: ["title": "x"])
        let opus = try Fixture.audio("sniff.opus", metadata: [:])
        func head(_ p: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: p)).prefix(64)) }
        #expect(AudioSniffer.detect(try head(flac))?.fileExtension == "flac")
        #expect(AudioSniffer.detect(try head(mp3))?.fileExtension == "mp3")
        #expect(AudioSniffer.detect(try head(opus))?.fileExtension == "opus")
        #expect(AudioSniffer.detect(Array("<html><body>".utf8)) == nil)
        #expect(AudioSniffer.detect([]) == nil)
    }

    @Test func namesNormaliseForMatchingAndSorting() {
        #expect(NameKey.make("The  Beatles") == NameKey.make("the beatles"))
        #expect(NameKey.make("ＡＢＣ") == "abc")
        #expect(NameKey.make("e\u{301}") == NameKey.make("\u{e9}"))
        #expect(NameKey.sort("The Who") == "who")
        #expect(NameKey.sort("The") == "the")
    }

    /// ASCII names take a path without Foundation's normalisation: every key must still be the
    /// one the normalising path gives (stored keys and new ones must meet).
    @Test func asciiNamesGetTheSameKeysAsTheNormalisingPath() {
        func reference(_ name: String) -> String {
            name.precomposedStringWithCompatibilityMapping.lowercased().split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
        }
        var samples = ["", "   ", "The  Beatles", "\tAC/DC\r\n", "a\u{0B}b\u{0C}c", "x\u{1C}y\u{1F}z", "Sigur Ros ", "  MiXeD Case 123 !?"]
        samples += (0..<128).map { "A" + String(UnicodeScalar(UInt8($0))) + "z" }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            samples.append(
                String(
                    (0..<Int.random(in: 0...12, using: &generator)).map { _ in Character(UnicodeScalar(UInt8.random(in: 0...127, using: &generator)))
                    }))
        }
        for sample in samples {
            #expect(NameKey.make(sample) == reference(sample), "\(Array(sample.utf8))")
        }
        #expect(NameKey.make("Sigur Rós") == reference("Sigur Rós"))
    }

    /// Tag values are trimmed of what Foundation calls whitespace and newlines, in Swift.
    @Test func tagValuesAreTrimmedOfUnicodeWhitespace() {
        let values = [
            "  Title\n", "\u{00A0}\u{3000}Wide\u{2028}", "\u{0085}x\u{200A}", "\t\r\n", "e\u{301} ", "inner  space", "Abbey Road\u{200B}",
            "\u{200B}\u{2009}x\u{FEFF}", "\u{1680}\u{180E}y",
        ]
        for value in values {
            let tags = AudioTags(properties: ["TITLE": [value]])
            let expected = value.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(tags.title == (expected.isEmpty ? nil : expected), "\(value.unicodeScalars.map(\.value))")
        }
        #expect(AudioTags(properties: ["TRACKNUMBER": [" 3 / 12 "]]).trackNumber == 3)
        #expect(AudioTags(properties: ["TRACKNUMBER": [" 3 / 12 "]]).trackTotal == 12)
        #expect(AudioTags(properties: ["GENRE": ["Rock ;\u{00A0}Pop"]]).genres == ["Rock", "Pop"])
    }
}

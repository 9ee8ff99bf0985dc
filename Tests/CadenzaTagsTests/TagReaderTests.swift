import CadenzaTags
import Foundation
import Testing

/// Makes real audio files with ffmpeg: a second of sine with the given tags.
enum Fixture {
    static let directory: URL = {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cadenza-tags-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }()

    @discardableResult
    static func ffmpeg(_ args: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y"] + args
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    static func audio(_ name: String, codec: [String], metadata: [String: String], seconds: Double = 1, cover: URL? = nil) throws -> String {
        let out = directory.appendingPathComponent(name).path
        var args = ["-f", "lavfi", "-i", "sine=frequency=440:duration=\(seconds)"]
        if let cover { args += ["-i", cover.path, "-map", "0:a", "-map", "1:v", "-disposition:v", "attached_pic"] }
        args += codec
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) { args += ["-metadata", "\(key)=\(value)"] }
        if name.hasSuffix(".mp3") { args += ["-id3v2_version", "3"] }
        args.append(out)
        try #require(try ffmpeg(args) == 0, "ffmpeg failed for \(name)")
        return out
    }

    static func jpeg(_ name: String, size: Int = 64) throws -> URL {
        let out = directory.appendingPathComponent(name)
        try #require(try ffmpeg(["-f", "lavfi", "-i", "color=c=red:s=\(size)x\(size)", "-frames:v", "1", out.path]) == 0)
        return out
    }
}

@Suite struct TagReaderTests {
    static let common = ["title": "Night River", "artist": "Kaloven", "album": "Glass Echo", "album_artist": "Kaloven",
                         "genre": "Rock;Jazz", "track": "3/12", "disc": "1/2", "date": "2004-05-01"]

    static let formats: [(String, [String])] = [
        ("t.mp3", ["-c:a", "libmp3lame", "-b:a", "128k"]),
        ("t.flac", ["-c:a", "flac"]),
        ("t.ogg", ["-c:a", "libvorbis"]),
        ("t.opus", ["-c:a", "libopus"]),
        ("t.m4a", ["-c:a", "aac"]),
        ("t.wav", ["-c:a", "pcm_s16le"]),
        ("t.aiff", ["-c:a", "pcm_s16be"]),
        ("t.wv", ["-c:a", "wavpack"]),
    ]

    @Test(arguments: formats.map(\.0))
    func readsTagsAndPropertiesPerFormat(_ name: String) throws {
        let codec = try #require(Self.formats.first { $0.0 == name }?.1)
        var metadata = Self.common
        if name.hasSuffix(".wav") || name.hasSuffix(".aiff") {
            // RIFF INFO / AIFF text chunks carry only the basic fields.
            metadata = ["title": "Night River", "artist": "Kaloven", "album": "Glass Echo"]
        }
        let path = try Fixture.audio(name, codec: codec, metadata: metadata)
        let tags = try TagReader.read(path: path)
        #expect(tags.title == "Night River")
        #expect(tags.artists == ["Kaloven"])
        #expect(tags.album == "Glass Echo")
        #expect(abs(tags.durationMs - 1000) < 120, "duration \(tags.durationMs)")
        #expect(tags.sampleRate > 0 && tags.channels == 1)
        if metadata.count > 3 {
            #expect(tags.albumArtists == ["Kaloven"])
            #expect(tags.trackNumber == 3 && tags.trackTotal == 12)
            #expect(tags.discNumber == 1)
            #expect(tags.year == 2004)
            #expect(tags.genres == ["Rock", "Jazz"])
        }
    }

    @Test func readsMusicBrainzIDsAndReplayGain() throws {
        let path = try Fixture.audio("mb.flac", codec: ["-c:a", "flac"], metadata: [
            "title": "T", "MUSICBRAINZ_TRACKID": "8F1B5A2C-0000-4000-8000-000000000001",
            "MUSICBRAINZ_ALBUMID": "8f1b5a2c-0000-4000-8000-000000000002", "MUSICBRAINZ_ARTISTID": "not-a-uuid",
            "REPLAYGAIN_TRACK_GAIN": "-6.50 dB", "REPLAYGAIN_TRACK_PEAK": "0.98", "COMPILATION": "1",
            "LYRICS": "la la la",
        ])
        let tags = try TagReader.read(path: path)
        #expect(tags.recordingMBID == "8f1b5a2c-0000-4000-8000-000000000001")
        #expect(tags.albumMBID == "8f1b5a2c-0000-4000-8000-000000000002")
        #expect(tags.artistMBIDs.isEmpty)
        #expect(tags.replayGainTrackGain == -6.5)
        #expect(tags.replayGainTrackPeak == 0.98)
        #expect(tags.compilation)
        #expect(tags.lyrics == "la la la")
    }

    @Test func extractsEmbeddedCoverArt() throws {
        let cover = try Fixture.jpeg("cover.jpg")
        for (name, codec) in [("c.mp3", ["-c:a", "libmp3lame", "-c:v", "copy"]), ("c.flac", ["-c:a", "flac", "-c:v", "copy"])] {
            let path = try Fixture.audio(name, codec: codec, metadata: ["title": "C"], cover: cover)
            let tags = try TagReader.read(path: path)
            #expect(tags.hasEmbeddedPicture, "\(name)")
            let picture = try #require(TagReader.embeddedPicture(path: path), "\(name)")
            #expect(picture.mime == "image/jpeg")
            #expect(picture.data.count > 100)
        }
        let plain = try Fixture.audio("plain.mp3", codec: ["-c:a", "libmp3lame"], metadata: ["title": "P"])
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

        let whole = try Fixture.audio("whole.flac", codec: ["-c:a", "flac"], metadata: ["title": "W"], seconds: 2)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: whole))
        let truncated = dir.appendingPathComponent("truncated.flac")
        try bytes.prefix(60).write(to: truncated)
        #expect(throws: TagReader.Failure.self) { try TagReader.read(path: truncated.path) }

        #expect(throws: TagReader.Failure.self) { try TagReader.read(path: dir.appendingPathComponent("missing.mp3").path) }
    }

    @Test func sniffsContentNotNames() throws {
        let flac = try Fixture.audio("sniff.flac", codec: ["-c:a", "flac"], metadata: [:])
        let mp3 = try Fixture.audio("sniff.mp3", codec: ["-c:a", "libmp3lame"], metadata: ["title": "x"])
        let opus = try Fixture.audio("sniff.opus", codec: ["-c:a", "libopus"], metadata: [:])
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
}

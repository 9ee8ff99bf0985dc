import CadenzaTags
import Foundation
import Testing

/// Values an uploaded file controls never trap and never come back non-finite.
@Suite struct HostileTagTests {
    @Test(arguments: [
        "[99999999999999999999:00.00]x", "[00:1e999]x", "[00:inf]x", "[00:nan]x", "[-5:00]x", "[00:-0.5]x",
        "[9999:60.00]x", "[00:00.00000000001]x", "[" + String(repeating: "9", count: 400) + ":00]x", "[:]x", "[00:]x",
    ])
    func outOfRangeStampsAreNotStamps(_ line: String) {
        let parsed = LRC.parse(line + "\n[00:02.50]real")
        #expect(parsed.synced)
        #expect(parsed.lines == [LRC.Line(startMs: 2500, text: "real")])
    }

    @Test func theLargestStampIsRepresentable() {
        #expect(LRC.timestamp("9999:59.999") == 9999 * 60_000 + 59_999)
        #expect(LRC.timestamp("01:02") == 62_000)
    }

    @Test func nonFiniteReplayGainIsDropped() {
        let tags = AudioTags(properties: [
            "REPLAYGAIN_TRACK_GAIN": ["inf dB"], "REPLAYGAIN_TRACK_PEAK": ["nan"],
            "REPLAYGAIN_ALBUM_GAIN": ["-1e999 dB"], "REPLAYGAIN_ALBUM_PEAK": ["1e400"],
        ])
        #expect(tags.replayGainTrackGain == nil && tags.replayGainTrackPeak == nil)
        #expect(tags.replayGainAlbumGain == nil && tags.replayGainAlbumPeak == nil)
        let fine = AudioTags(properties: ["REPLAYGAIN_TRACK_GAIN": ["-6.5 dB"], "REPLAYGAIN_TRACK_PEAK": ["0.98"]])
        #expect(fine.replayGainTrackGain == -6.5 && fine.replayGainTrackPeak == 0.98)
    }

    @Test func tempoIsReadAsWholeBeatsWithinRange() {
        for (given, expected) in [
            ("128", 128), ("127.96", 128), ("90 BPM", 90), (" 174 ", 174), ("0", nil), ("-5", nil), ("1e9", nil),
            ("nan", nil), ("inf", nil), ("fast", nil),
        ] as [(String, Int?)] {
            #expect(AudioTags(properties: ["BPM": [given]]).bpm == expected, "\(given)")
        }
    }
}

import Foundation
import Testing

@testable import CadenzaPlayout

@Suite struct HLSPlaylistTests {
    static let ffmpegPlaylist = """
        #EXTM3U
        #EXT-X-VERSION:6
        #EXT-X-TARGETDURATION:4
        #EXT-X-MEDIA-SEQUENCE:1796000041
        #EXT-X-INDEPENDENT-SEGMENTS
        #EXTINF:3.993833,
        #EXT-X-PROGRAM-DATE-TIME:2026-12-06T16:21:50.053+0000
        seg_1796000041.ts
        #EXT-X-DISCONTINUITY
        #EXTINF:3.993833,
        #EXT-X-PROGRAM-DATE-TIME:2026-12-06T17:21:54.047+0100
        seg_1796000042.ts
        #EXTINF:4.017044,
        #EXT-X-PROGRAM-DATE-TIME:2026-12-06T16:21:58.041+0000
        seg_1796000043.ts
        #EXTINF:3.993833,
        #EXT-X-PROGRAM-DATE-TIME:2026-12-06T16:22:02.058+0000
        seg_1796000044.ts

        """

    @Test func datesRoundTripThroughEveryZoneForm() throws {
        // 2026-12-06T16:21:50.053Z, as ffmpeg writes it in UTC and elsewhere, and as RFC 3339 does.
        #expect(HLSPlaylist.millis(fromDate: "2026-12-06T16:21:50.053+0000") == HLSPlaylist.millis(fromDate: "2026-12-06T17:21:50.053+01:00"))
        #expect(HLSPlaylist.millis(fromDate: "2026-12-06T16:21:50.053Z") == HLSPlaylist.millis(fromDate: "2026-12-06T11:21:50.053-0500"))
        let parsed = try #require(HLSPlaylist.millis(fromDate: "2026-12-06T16:21:50.053Z"))
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let foundation = try #require(formatter.date(from: "2026-12-06T16:21:50.053Z"))
        #expect(parsed == Int64((foundation.timeIntervalSince1970 * 1000).rounded()))
        for ms: Int64 in [0, 1, 999, 86_399_999, 951_782_400_000, 1_796_574_110_053, 4_102_444_799_999, -1] {
            let text = HLSPlaylist.date(fromMillis: ms)
            #expect(HLSPlaylist.millis(fromDate: text) == ms, "\(text)")
            if ms % 1000 == 0 {
                #expect(
                    ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(ms / 1000)))
                        == text.replacingOccurrences(of: ".000", with: ""))
            }
        }
        for bad in [
            "", "2026-12-06", "2026-13-06T16:21:50Z", "2026-12-06T16:21:50+01", "2026-12-06T16:21:50.053+0000x", "２０２６-12-06T16:21:50Z",
            "2026-12-06T16-21-50Z", "2026-12-06T16:21:50+:0100", "2026-12-06T16:21:50+01:0",
        ] {
            #expect(HLSPlaylist.millis(fromDate: bad) == nil, "\(bad)")
        }
    }

    @Test func segmentsAreReadWithTheirNumbersLengthsAndStamps() throws {
        let playlist = try #require(HLSPlaylist(Self.ffmpegPlaylist))
        #expect(playlist.targetDuration == 4)
        #expect(playlist.segments.map(\.sequence) == [1_796_000_041, 1_796_000_042, 1_796_000_043, 1_796_000_044])
        #expect(playlist.segments[2].duration == 4.017044)
        let first = try #require(playlist.segments[0].programDateMs), second = try #require(playlist.segments[1].programDateMs)
        #expect(second - first == 3_994)
        #expect(HLSPlaylist("#EXTM3U\nseg_1.ts\n") == nil)
    }

    @Test func aPlayerJoinsThreeTargetDurationsFromTheEnd() throws {
        let playlist = try #require(HLSPlaylist(Self.ffmpegPlaylist))
        // 16 s listed: from the end, 4 + 4.02 + 3.99 = 12.0 s reaches three target durations.
        #expect(playlist.joinSegment?.sequence == 1_796_000_042)
        var short = playlist
        short.segments.removeFirst(2)
        #expect(short.joinSegment?.sequence == 1_796_000_043)
    }

    @Test func stampsAreRestatedOnTheBusClockFromTheRunsFirstSegment() throws {
        let first = try #require(HLSPlaylist.millis(fromDate: "2026-12-06T16:21:50.053Z"))
        // The run began at input frame 44,100 (one second into the bus), which aired at busStart + 1 s.
        let busStart: Int64 = first + 1_234
        let timeline = Encoder.HLSTimeline(firstSequence: 1_796_000_041, firstFrame: 44_100, firstProgramDateMs: first)
        let restated = HLSPlaylist.restamp(Self.ffmpegPlaylist, timelines: [timeline]) { busStart + PCM.milliseconds(frames: $0) }
        let playlist = try #require(HLSPlaylist(restated))
        let stamps = playlist.segments.compactMap(\.programDateMs)
        let origin = busStart + 1_000 - Encoder.primingMilliseconds
        #expect(stamps == [origin, origin + 3_994, origin + 7_988, origin + 12_005])
        // Everything else is as ffmpeg wrote it.
        let kept = { (text: String) in text.split(separator: "\n").filter { !$0.hasPrefix("#EXT-X-PROGRAM-DATE-TIME") } }
        #expect(kept(restated) == kept(Self.ffmpegPlaylist))
        #expect(restated.hasSuffix("seg_1796000044.ts\n"))
        // Across a restart each segment is restated by its own run; segments of no known run
        // keep ffmpeg's stamps, and so do those of a run not yet placed.
        let later = Encoder.HLSTimeline(firstSequence: 1_796_000_043, firstFrame: 0, firstProgramDateMs: first + 7_988)
        let airs = { (frame: Int64) in busStart + PCM.milliseconds(frames: frame) }
        let mixed = try #require(HLSPlaylist(HLSPlaylist.restamp(Self.ffmpegPlaylist, timelines: [later], airsAt: airs)))
        #expect(mixed.segments[0].programDateMs == first)
        #expect(mixed.segments[2].programDateMs == busStart - Encoder.primingMilliseconds)
        let both = try #require(HLSPlaylist(HLSPlaylist.restamp(Self.ffmpegPlaylist, timelines: [timeline, later], airsAt: airs)))
        #expect(both.segments.compactMap(\.programDateMs) == [origin, origin + 3_994, busStart - 23, busStart - 23 + 4_017])
        let unplaced = Encoder.HLSTimeline(firstSequence: 1_796_000_043, firstFrame: 0, firstProgramDateMs: nil)
        let pending = try #require(HLSPlaylist(HLSPlaylist.restamp(Self.ffmpegPlaylist, timelines: [timeline, unplaced], airsAt: airs)))
        #expect(pending.segments.compactMap(\.programDateMs) == [origin, origin + 3_994, first + 7_988, first + 12_005])
    }

    @Test func onlyTheEncodersSegmentNamesHaveNumbers() {
        #expect(Encoder.segmentSequence("seg_1796000042.ts") == 1_796_000_042)
        #expect(Encoder.segmentSequence("seg_00042.ts") == 42)
        for bad in ["seg_1.ts", "seg_1234567890123.ts", "seg_12345.mp3", "seg_-1234.ts", "seg_１２３４５.ts", "../seg_12345.ts"] {
            #expect(Encoder.segmentSequence(bad) == nil, "\(bad)")
        }
    }
}

import CadenzaTestSupport
import Foundation
import Testing

@testable import CadenzaPlayout

@Suite struct LoudnessAnalysisTests {
    /// A file made of 2 s of silence, 5 s of a tone 20 dB down and 3 s of silence: the analysis
    /// finds the tone's ends and its loudness, and the gain to a target stays under the ceiling.
    @Test func findsSilentEndsAndLoudness() throws {
        let dir = try AudioFixtures.temporaryDirectory("loudness")
        let path = dir.appendingPathComponent("padded.flac").path
        let status = try AudioFixtures.ffmpeg([
            "-f", "lavfi", "-i", "anullsrc=r=44100:cl=stereo:d=2", "-f", "lavfi", "-i", "sine=f=440:d=5:r=44100",
            "-f", "lavfi", "-i", "anullsrc=r=44100:cl=stereo:d=3",
            "-filter_complex", "[1]volume=-20dB,aformat=channel_layouts=stereo[t];[0][t][2]concat=n=3:v=0:a=1", path,
        ])
        #expect(status == 0)
        let analysis = try #require(try LoudnessAnalysis.analyse(path: path, durationMs: 10_000))
        #expect(abs(analysis.cueInMs - 2_000) <= 30)
        #expect(abs((analysis.cueOutMs ?? 0) - 7_000) <= 30)
        // A sine at 1/8 of full scale (-18 dBFS), 20 dB down, less what the upmix to stereo takes.
        let integrated = try #require(analysis.integratedLUFS)
        let peak = try #require(analysis.peakDBFS)
        #expect((-48.0 ... -38.0).contains(integrated))
        #expect((-45.0 ... -38.0).contains(peak))
        // Raised 12 dB at most (the bound), never past a -1 dBFS peak.
        #expect(analysis.gainDB(targetLUFS: -16) == LoudnessAnalysis.maximumGainDB)
        let loud = LoudnessAnalysis(integratedLUFS: -10, peakDBFS: -0.5, cueInMs: 0, cueOutMs: nil)
        #expect(loud.gainDB(targetLUFS: -16) == -6)
        let peaky = LoudnessAnalysis(integratedLUFS: -20, peakDBFS: -2, cueInMs: 0, cueOutMs: nil)
        #expect(peaky.gainDB(targetLUFS: -16) == 1)
    }

    /// A file that is silence throughout has no loudness (no gain) and is not trimmed to nothing;
    /// a file ffmpeg cannot read gives no analysis.
    @Test func silenceAndUnreadableFiles() throws {
        let dir = try AudioFixtures.temporaryDirectory("loudness")
        let silent = dir.appendingPathComponent("silent.wav").path
        #expect(try AudioFixtures.ffmpeg(["-f", "lavfi", "-i", "anullsrc=r=44100:cl=stereo:d=3", silent]) == 0)
        let analysis = try #require(try LoudnessAnalysis.analyse(path: silent, durationMs: 3_000))
        #expect(analysis.integratedLUFS == nil)
        #expect(analysis.cueInMs == 0 && analysis.cueOutMs == nil)
        #expect(analysis.gainDB(targetLUFS: -16) == 0)
        let junk = dir.appendingPathComponent("junk.mp3").path
        try Data("not audio at all".utf8).write(to: URL(fileURLWithPath: junk))
        #expect(try LoudnessAnalysis.analyse(path: junk, durationMs: 1_000) == nil)
    }

    /// Reports with hostile numbers never trap and never give cue points outside the file.
    @Test func hostileReports() {
        let reports = [
            "Summary:\n I: nan LUFS\n Peak: inf dBFS\nsilence_start: -5\nsilence_end: 1e300 | x",
            "Summary:\n I: -20 LUFS\nsilence_start: 0\nsilence_end: 99999999999999999999\ntime=99:99:99.99",
            "silence_start: 0\nsilence_end: 3",
        ]
        for report in reports {
            if let analysis = LoudnessAnalysis.parse(report, durationMs: 5_000) {
                #expect(analysis.cueInMs >= 0)
                #expect(analysis.gainDB(targetLUFS: -16).isFinite)
            }
        }
        #expect(LoudnessAnalysis.parse(reports[2], durationMs: 5_000) == nil)
    }

    /// The decoder's gain scales every sample and clips at full scale instead of wrapping.
    @Test func gainScalesAndClips() {
        let half = Decoder.multiplier(gainDB: -6.0206)
        var bytes: [UInt8] = [0x00, 0x40, 0x00, 0xC0]  // 16384, -16384
        Decoder.apply(gain: half, to: &bytes, from: 0)
        #expect(Int16(bitPattern: UInt16(bytes[0]) | UInt16(bytes[1]) << 8) == 8192)
        #expect(Int16(bitPattern: UInt16(bytes[2]) | UInt16(bytes[3]) << 8) == -8192)
        var loud: [UInt8] = [0x00, 0x60, 0x00, 0xA0]  // 24576, -24576
        Decoder.apply(gain: Decoder.multiplier(gainDB: 12), to: &loud, from: 0)
        #expect(Int16(bitPattern: UInt16(loud[0]) | UInt16(loud[1]) << 8) == Int16.max)
        #expect(Int16(bitPattern: UInt16(loud[2]) | UInt16(loud[3]) << 8) == Int16.min)
        #expect(Decoder.multiplier(gainDB: .nan) == 65_536)
        #expect(Decoder.multiplier(gainDB: 1e9) == Decoder.multiplier(gainDB: 24))
    }
}

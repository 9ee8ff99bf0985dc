import Foundation
import Testing

@testable import CadenzaPlayout

@Suite struct MountTests {
    /// Reads an ICY stream: audio bytes, and each title with the audio byte it arrived at.
    static func parse(_ bytes: [UInt8]) -> (audio: Int, titles: [(Int, String)]) {
        var audio = 0, index = 0
        var titles: [(Int, String)] = []
        while index < bytes.count {
            let n = min(Mount.metaint - audio % Mount.metaint, bytes.count - index)
            audio += n
            index += n
            guard index < bytes.count, audio % Mount.metaint == 0 else { break }
            let length = Int(bytes[index]) * 16
            let text = String(decoding: bytes[(index + 1)..<(index + 1 + length)], as: UTF8.self)
            if length > 0, let start = text.range(of: "StreamTitle='"), let end = text.range(of: "';", range: start.upperBound..<text.endIndex) {
                titles.append((audio, String(text[start.upperBound..<end.lowerBound])))
            }
            index += 1 + length
        }
        return (audio, titles)
    }

    static func drain(_ stream: AsyncStream<[UInt8]>) async -> [UInt8] {
        var out: [UInt8] = []
        for await chunk in stream { out += chunk }
        return out
    }

    /// Titles reach ICY listeners at the byte where their audio starts; plain listeners get the
    /// audio alone; a late listener gets the burst and the title that was airing in it.
    @Test func titlesArePlacedWhereTheirAudioIs() async throws {
        let mount = Mount(format: .mp3, burstSize: 8_000, flushSize: 1)
        let icy = try #require(mount.subscribe(icy: true))
        let plain = try #require(mount.subscribe(icy: false))
        mount.setTitle("Kaloven - Night River", atFrame: 0)
        // Byte 20,000 of a 128 kb/s stream is 1.25 s in.
        mount.setTitle("Milo - Lantern's End", atFrame: Int64(PCM.sampleRate) * 5 / 4)
        for _ in 0..<40 { mount.append([UInt8](repeating: 0xAB, count: 1_000)) }
        let late = try #require(mount.subscribe(icy: true))
        for _ in 0..<20 { mount.append([UInt8](repeating: 0xCD, count: 1_000)) }
        mount.close()
        let heard = Self.parse(await Self.drain(icy.stream))
        #expect(heard.audio == 60_000)
        #expect(heard.titles.map(\.0) == [16_000, 32_000])
        #expect(heard.titles.map(\.1) == ["Kaloven - Night River", "Milo - Lantern’s End"])
        #expect(await Self.drain(plain.stream).count == 60_000)
        let lateHeard = Self.parse(await Self.drain(late.stream))
        #expect(lateHeard.audio == 8_000 + 20_000)
        #expect(lateHeard.titles.first?.1 == "Milo - Lantern’s End")
    }

    /// At 64 kb/s a second of audio is 8,000 bytes: titles and the burst's place on the bus follow
    /// the mount's own rate (at 128 kb/s this title would come a metadata block later).
    @Test func aMountAtAnotherBitratePlacesTitlesByItsRate() async throws {
        let rate = try #require(Encoder.Bitrate(kbps: 64))
        let mount = Mount(format: .mp3, bitrate: rate, burstSize: 8_000, flushSize: 1)
        let icy = try #require(mount.subscribe(icy: true))
        mount.setTitle("Kaloven - Night River", atFrame: 0)
        // 1.25 s in: byte 10,000, before the second metadata block at 16,000.
        mount.setTitle("Milo - Lantern", atFrame: Int64(PCM.sampleRate) * 5 / 4)
        for _ in 0..<40 { mount.append([UInt8](repeating: 0xAB, count: 1_000)) }
        #expect(mount.burstStartFrame == Int64(PCM.sampleRate) * 4)
        mount.close()
        let heard = Self.parse(await Self.drain(icy.stream))
        #expect(heard.titles.map(\.1) == ["Milo - Lantern"])
        #expect(heard.titles.map(\.0) == [16_000])
        #expect(Mount(format: .aac, bitrate: rate).bitrate.kbps == 64)
    }

    /// The encoder's frame-sized writes reach listeners in pieces of a few kilobytes.
    @Test func smallWritesAreSentOnTogether() async throws {
        let mount = Mount(format: .mp3, flushSize: 4_000)
        let listener = try #require(mount.subscribe(icy: false))
        for _ in 0..<25 { mount.append([UInt8](repeating: 1, count: 418)) }
        mount.close()
        var pieces: [Int] = []
        for await chunk in listener.stream { pieces.append(chunk.count) }
        #expect(pieces == [4_180, 4_180])
    }

    @Test func aFullMountRefusesListeners() {
        let mount = Mount(format: .mp3, maxListeners: 1)
        #expect(mount.subscribe(icy: false) != nil)
        #expect(mount.subscribe(icy: false) == nil)
        #expect(mount.peakListeners == 1)
    }
}

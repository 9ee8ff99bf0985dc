import CadenzaTestSupport
import Foundation
import Testing

@testable import CadenzaPlayout

/// Collects what the engine writes and reports, from its thread.
final class Recorder: @unchecked Sendable {
    private let lock = NSLock()
    private var pcm: [UInt8] = []
    private var log: [PlayoutEvent] = []

    func write(_ bytes: [UInt8]) { lock.withLock { pcm.append(contentsOf: bytes) } }
    func note(_ event: PlayoutEvent) { lock.withLock { log.append(event) } }
    var audio: [UInt8] { lock.withLock { pcm } }
    var events: [PlayoutEvent] { lock.withLock { log } }

    /// Waits (up to 30 s) until an event matching `wanted` has been reported.
    func waitFor(_ wanted: (PlayoutEvent) -> Bool) async throws {
        var tries = 0
        while !events.contains(where: wanted) && tries < 600 {
            try await Task.sleep(for: .milliseconds(50))
            tries += 1
        }
    }

    /// The largest sample magnitude among `frames` frames from frame `from`.
    func peak(_ from: Int64, _ frames: Int64) -> Int {
        let bytes = audio
        var top = 0
        for frame in from..<(from + frames) { top = max(top, abs(Int(PlayoutEngine.sample(bytes, Int(frame) * PCM.bytesPerFrame)))) }
        return top
    }

    /// The longest run of frames whose samples are all within ±`floor` (digital silence).
    func longestSilence(from start: Int = 0, floor: Int16 = 8) -> Int {
        let bytes = audio
        var longest = 0, run = 0
        var index = start * PCM.bytesPerFrame
        while index + 3 < bytes.count {
            let left = Int16(bitPattern: UInt16(bytes[index]) | UInt16(bytes[index + 1]) << 8)
            let right = Int16(bitPattern: UInt16(bytes[index + 2]) | UInt16(bytes[index + 3]) << 8)
            if abs(Int(left)) <= Int(floor) && abs(Int(right)) <= Int(floor) {
                run += 1
                longest = max(longest, run)
            } else {
                run = 0
            }
            index += PCM.bytesPerFrame
        }
        return longest
    }
}

/// The engine, for event handlers made before it.
final class EngineBox: @unchecked Sendable {
    var engine: PlayoutEngine?
}

@Suite struct PlayoutEngineTests {
    /// The watchdog listens to what goes out, not to the queue: a silent file among tones is dead
    /// air (raised once, where the silence began, when it reaches the limit), a tone is not, and
    /// a silence shorter than the limit is nothing.
    @Test func theWatchdogsPeakIsTheLargestMagnitudeOfAnySample() {
        let bytes = { (samples: [Int16]) in samples.flatMap { [UInt8(truncatingIfNeeded: $0), UInt8(truncatingIfNeeded: $0 >> 8)] } }
        #expect(PlayoutEngine.peak([]) == 0)
        #expect(PlayoutEngine.peak([7]) == 0, "a lone byte is no sample")
        #expect(PlayoutEngine.peak(bytes([-5, -9, -2])) == 9)
        #expect(PlayoutEngine.peak(bytes([3, 120, -40])) == 120)
        #expect(PlayoutEngine.peak(bytes([0, .min, 100])) == 32_768)
        #expect(PlayoutEngine.peak(bytes([1, 2]) + [0xff]) == 2, "a trailing odd byte is ignored")
    }

    @Test func aSilentOutputIsReportedOnceWhateverAirsIt() throws {
        let dir = try AudioFixtures.temporaryDirectory("silence")
        let queue = PlayoutQueue()
        for (index, (seconds, frequency)) in [(1.0, 440), (0.4, 0), (0.5, 440), (1.5, 0), (0.5, 550)].enumerated() {
            let path = try AudioFixtures.audio(
                at: dir.appendingPathComponent("\(index).flac").path, metadata: [:], seconds: seconds, frequency: frequency)
            queue.append(PlayoutItem(id: "\(index)", path: path, title: "\(index)", artist: "", durationMs: Int(seconds * 1000)))
        }
        var options = PlayoutEngine.Options()
        options.paced = false
        options.stopWhenEmpty = true
        options.silenceAlarmMs = 1_000
        let recorder = Recorder()
        PlayoutEngine(queue: queue, options: options, sink: recorder.write, events: recorder.note).runToEnd()
        let silences = recorder.events.compactMap { event -> (Int64, Int64)? in
            if case .silence(let frame, let frames) = event { return (frame, frames) }
            return nil
        }
        let second = Int64(PCM.sampleRate)
        #expect(recorder.peak(second * 19 / 10, second / 2) < 104, "the fixture's second silence is silent")
        #expect(silences.count == 1)
        // The long silence starts at 1.9 s (within the chunk it began in) and is reported at 1 s long.
        if let (frame, frames) = silences.first {
            #expect(abs(frame - second * 19 / 10) <= Int64(PlayoutEngine.chunkFrames))
            #expect(frames >= second && frames < second + Int64(PlayoutEngine.chunkFrames))
        }
    }

    /// Items in three formats and a missing file air back to back: every sample of every file,
    /// nothing between them, and the missing one skipped without a gap.
    @Test func itemsJoinSampleExactAndAMissingFileIsSkipped() throws {
        let dir = try AudioFixtures.temporaryDirectory("playout")
        let files = [("a.flac", 2.0, 440), ("b.ogg", 1.5, 550), ("c.wav", 1.0, 660)]
        let queue = PlayoutQueue()
        for (index, (name, seconds, frequency)) in files.enumerated() {
            let path = try AudioFixtures.audio(at: dir.appendingPathComponent(name).path, metadata: [:], seconds: seconds, frequency: frequency)
            queue.append(PlayoutItem(id: "\(index)", path: path, title: name, artist: "Tone", durationMs: Int(seconds * 1000)))
            if index == 0 {
                queue.append(PlayoutItem(id: "gone", path: dir.appendingPathComponent("gone.flac").path, title: "Gone", artist: "", durationMs: 1000))
            }
        }
        var options = PlayoutEngine.Options()
        options.paced = false
        options.stopWhenEmpty = true
        let recorder = Recorder()
        let engine = PlayoutEngine(queue: queue, options: options, sink: recorder.write, events: recorder.note)
        engine.runToEnd()

        let expected = files.map { Int64($0.1 * Double(PCM.sampleRate)) }
        #expect(Int64(recorder.audio.count / PCM.bytesPerFrame) == expected.reduce(0, +))
        #expect(recorder.longestSilence() < 882, "a gap of 20 ms or more between items")
        var started: [(String, Int64)] = [], finished: [(String, Int64)] = [], failed: [String] = []
        for event in recorder.events {
            switch event {
            case .started(let item, let frame): started.append((item.id, frame))
            case .finished(let item, _, let played): finished.append((item.id, played))
            case .failed(let item, _): failed.append(item.id)
            case .underrun, .fallback, .silence: Issue.record("unexpected \(event)")
            }
        }
        #expect(failed == ["gone"])
        #expect(finished.map(\.0) == ["0", "1", "2"])
        #expect(finished.map(\.1) == expected)
        // Each item starts where the one before it ended; the missing file never "started" (an
        // as-run log would otherwise show a file that never aired).
        #expect(started.map(\.0) == ["0", "1", "2"])
        #expect(started.map(\.1) == [0, expected[0], expected[0] + expected[1]])
    }

    /// With a crossfade the second item starts a fade's length before the first ends: the bus is
    /// that much shorter, holds no silence, and the second item's start is announced where the
    /// fade begins; the first is still played to its last sample.
    @Test func aCrossfadeOverlapsTheItems() throws {
        let dir = try AudioFixtures.temporaryDirectory("playout-fade")
        let queue = PlayoutQueue()
        for (index, frequency) in [440, 660].enumerated() {
            let path = try AudioFixtures.audio(at: dir.appendingPathComponent("\(index).flac").path, metadata: [:], seconds: 3, frequency: frequency)
            queue.append(PlayoutItem(id: "\(index)", path: path, title: "\(index)", artist: "", durationMs: 3000))
        }
        var options = PlayoutEngine.Options()
        options.paced = false
        options.stopWhenEmpty = true
        options.crossfadeMs = 1000
        let recorder = Recorder()
        PlayoutEngine(queue: queue, options: options, sink: recorder.write, events: recorder.note).runToEnd()
        let rate = Int64(PCM.sampleRate)
        #expect(Int64(recorder.audio.count / PCM.bytesPerFrame) == 5 * rate)
        #expect(recorder.longestSilence() < 882)
        var started: [Int64] = [], played: [Int64] = []
        for event in recorder.events {
            if case .started(_, let frame) = event { started.append(frame) }
            if case .finished(_, _, let frames) = event { played.append(frames) }
        }
        #expect(started == [0, 2 * rate])
        #expect(played.first == 3 * rate)
        // Mid-fade both tones sound at about equal level (−3 dB each): the mix's peak is higher
        // than either tone's alone would be at that gain, and never clips.
        let bytes = recorder.audio
        let mid = Int(5 * rate / 2) * PCM.bytesPerFrame
        let peak =
            stride(from: mid, to: mid + 4_000 * PCM.bytesPerFrame, by: PCM.bytesPerFrame).map { abs(Int(PlayoutEngine.sample(bytes, $0))) }.max() ?? 0
        #expect(peak > 0 && peak < 32_767)
    }

    /// The curves meet at their ends, and each keeps its promise in between.
    @Test func crossfadeCurvesKeepTheirLevels() {
        for curve in CrossfadeCurve.allCases {
            #expect(curve.gains(0) == (out: 1, in: 0), "\(curve)")
            let end = curve.gains(1)
            #expect(abs(end.out) < 1e-9 && abs(end.in - 1) < 1e-9, "\(curve)")
        }
        for p in stride(from: 0.0, through: 1.0, by: 0.05) {
            let power = CrossfadeCurve.equalPower.gains(p), linear = CrossfadeCurve.linear.gains(p), s = CrossfadeCurve.sCurve.gains(p)
            #expect(abs(power.out * power.out + power.in * power.in - 1) < 1e-9)
            #expect(abs(linear.out + linear.in - 1) < 1e-9 && abs(s.out + s.in - 1) < 1e-9)
            // The S-curve holds the outgoing song nearer full level early on, and lets it go later.
            if p < 0.5 { #expect(s.out >= linear.out) } else { #expect(s.out <= linear.out) }
        }
    }

    /// Two 3 s tones (440, 660 Hz) through the engine offline with `crossfadeMs` and the items' own
    /// fades: the bus and where the second item began.
    private func crossfaded(
        crossfadeMs: Int, curve: CrossfadeCurve = .equalPower, firstFadeOut: Int? = nil, secondFadeIn: Int? = nil
    ) throws -> (recorder: Recorder, secondStart: Int64?) {
        let dir = try AudioFixtures.temporaryDirectory("playout-fades")
        let queue = PlayoutQueue()
        for (index, frequency) in [440, 660].enumerated() {
            let path = try AudioFixtures.audio(at: dir.appendingPathComponent("\(index).flac").path, metadata: [:], seconds: 3, frequency: frequency)
            var item = PlayoutItem(id: "\(index)", path: path, title: "\(index)", artist: "", durationMs: 3000)
            if index == 0 { item.fadeOutMs = firstFadeOut } else { item.fadeInMs = secondFadeIn }
            queue.append(item)
        }
        var options = PlayoutEngine.Options()
        options.paced = false
        options.stopWhenEmpty = true
        options.crossfadeMs = crossfadeMs
        options.crossfadeCurve = curve
        let recorder = Recorder()
        PlayoutEngine(queue: queue, options: options, sink: recorder.write, events: recorder.note).runToEnd()
        let starts = recorder.events.compactMap { event -> Int64? in
            if case .started(let item, let frame) = event, item.id == "1" { return frame }
            return nil
        }
        return (recorder, starts.first)
    }

    /// A playlist entry's fades take the station's place at its edges: its fade-in, else the
    /// item before's fade-out, the shorter of the two when both are set; 0 joins end to end.
    @Test func anItemsOwnFadesOverrideTheStationsCrossfade() throws {
        let rate = Int64(PCM.sampleRate)
        for (station, out, into, overlapMs) in [(0, nil, 1_000, 1_000), (1_000, nil, 0, 0), (0, 2_000, nil, 2_000), (500, 2_000, 1_500, 1_500)] {
            let (recorder, start) = try crossfaded(crossfadeMs: station, firstFadeOut: out, secondFadeIn: into)
            let overlap = Int64(overlapMs) * rate / 1000
            #expect(start == 3 * rate - overlap, "station \(station), out \(String(describing: out)), in \(String(describing: into))")
            #expect(Int64(recorder.audio.count / PCM.bytesPerFrame) == 6 * rate - overlap)
            #expect(recorder.longestSilence() < 882)
        }
    }

    /// The station's curve reaches the mix: mid-fade, a linear fade holds each tone at half level
    /// (their sum peaks near one tone's peak), equal power at 71 % (higher).
    @Test func theCurveShapesTheMix() throws {
        let rate = Int64(PCM.sampleRate)
        func midPeak(_ curve: CrossfadeCurve) throws -> Int {
            let (recorder, start) = try crossfaded(crossfadeMs: 1_000, curve: curve)
            #expect(start == 2 * rate)
            return recorder.peak(2 * rate + rate / 2 - 2_000, 4_000)
        }
        let linear = try midPeak(.linear), power = try midPeak(.equalPower)
        #expect(linear > 0 && Double(power) > Double(linear) * 1.2, "linear \(linear), equal power \(power)")
    }

    /// Positive control for the gap check: half a second of zeros inside a file is found.
    @Test func theGapCheckFindsInsertedSilence() throws {
        let dir = try AudioFixtures.temporaryDirectory("playout-gap")
        let path = dir.appendingPathComponent("gap.wav").path
        try AudioFixtures.ffmpeg([
            "-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-f", "lavfi", "-i", "anullsrc=r=44100:cl=stereo:d=0.5",
            "-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-filter_complex", "[0][1][2]concat=n=3:v=0:a=1", "-ac", "2", "-ar", "44100", path,
        ])
        let queue = PlayoutQueue()
        queue.append(PlayoutItem(id: "g", path: path, title: "Gap", artist: "", durationMs: 2500))
        var options = PlayoutEngine.Options()
        options.paced = false
        options.stopWhenEmpty = true
        let recorder = Recorder()
        PlayoutEngine(queue: queue, options: options, sink: recorder.write, events: recorder.note).runToEnd()
        #expect(recorder.longestSilence() >= 22_000)
    }

    /// With nothing queued the station still airs: the fallback tone, announced once.
    @Test func anEmptyQueueAirsTheFallbackTone() async throws {
        let recorder = Recorder()
        let engine = PlayoutEngine(queue: PlayoutQueue(), sink: recorder.write, events: recorder.note)
        engine.start()
        try await Task.sleep(for: .milliseconds(300))
        engine.stop()
        #expect(recorder.audio.count >= PCM.bytesPerSecond / 2)
        #expect(recorder.longestSilence() < 50)
        let fallbacks = recorder.events.filter { if case .fallback = $0 { true } else { false } }
        #expect(fallbacks.count == 1)
    }

    /// A station's own fallback clip loops in the tone's place, sample for sample, from where it
    /// left off at each chunk; cleared, the tone is back.
    @Test func aFallbackClipLoopsInTheTonesPlace() async throws {
        let dir = try AudioFixtures.temporaryDirectory("playout-fallback")
        let path = try AudioFixtures.audio(at: dir.appendingPathComponent("f.flac").path, metadata: [:], seconds: 0.7)
        let clip = try #require(PCMClip.decode(path: path, ffmpeg: "/usr/bin/ffmpeg", maxSeconds: 30))
        #expect(abs(clip.count - PCM.bytesPerSecond * 7 / 10) <= PCM.bytesPerFrame * 2_000)
        #expect(PCMClip.decode(path: dir.appendingPathComponent("missing.flac").path, ffmpeg: "/usr/bin/ffmpeg", maxSeconds: 30) == nil)
        let recorder = Recorder()
        let engine = PlayoutEngine(queue: PlayoutQueue(), sink: recorder.write, events: recorder.note)
        engine.setFallback(clip)
        engine.start()
        try await Task.sleep(for: .milliseconds(2_000))
        engine.setFallback(nil)
        try await Task.sleep(for: .milliseconds(300))
        engine.stop()
        let audio = recorder.audio
        // From the start: the clip, then the clip again, end to end (at least two whole loops).
        let looped = clip + clip
        #expect(audio.count > looped.count)
        #expect(Array(audio.prefix(looped.count)) == looped)
        // And after it was cleared, the tone (not silence, not the clip).
        #expect(recorder.longestSilence() < 50)
        #expect(!audio.suffix(PCM.bytesPerSecond / 10).elementsEqual(clip.prefix(PCM.bytesPerSecond / 10)))
    }

    /// A party room's stream waits in silence: no tone when nothing is queued.
    @Test func aSilentFallbackIsSilence() async throws {
        let recorder = Recorder()
        var options = PlayoutEngine.Options()
        options.fallbackTone = false
        let engine = PlayoutEngine(queue: PlayoutQueue(), options: options, sink: recorder.write, events: recorder.note)
        engine.start()
        try await Task.sleep(for: .milliseconds(300))
        engine.stop()
        let frames = recorder.audio.count / PCM.bytesPerFrame
        #expect(frames >= PCM.sampleRate / 2)
        #expect(recorder.longestSilence() == frames)
    }

    /// A pause holds the item where it is: the bus carries silence, the item starts (or goes on)
    /// when the pause ends, and every one of its samples airs; what it played excludes the pause.
    @Test func aPauseHoldsTheItem() async throws {
        let dir = try AudioFixtures.temporaryDirectory("playout-pause")
        let path = try AudioFixtures.audio(at: dir.appendingPathComponent("p.flac").path, metadata: [:], seconds: 1.5)
        let queue = PlayoutQueue()
        queue.append(PlayoutItem(id: "p", path: path, title: "P", artist: "", durationMs: 1500))
        var options = PlayoutEngine.Options()
        options.fallbackTone = false
        let recorder = Recorder()
        let engine = PlayoutEngine(queue: queue, options: options, sink: recorder.write, events: recorder.note)
        engine.setPaused(true)
        engine.start()
        try await Task.sleep(for: .milliseconds(800))
        let heldFrames = recorder.audio.count / PCM.bytesPerFrame
        #expect(heldFrames > 0 && recorder.longestSilence() == heldFrames)
        #expect(!recorder.events.contains { if case .started = $0 { true } else { false } })
        engine.setPaused(false)
        // Until it ends (a busy machine may take longer than its 1.5 s).
        var tries = 0
        while !recorder.events.contains(where: { if case .finished = $0 { true } else { false } }) && tries < 400 {
            try await Task.sleep(for: .milliseconds(50))
            tries += 1
        }
        engine.stop()
        let started = recorder.events.compactMap { if case .started(_, let frame) = $0 { frame } else { nil } }
        let played = recorder.events.compactMap { if case .finished(_, _, let frames) = $0 { frames } else { nil } }
        #expect(started.count == 1 && (started.first ?? 0) >= Int64(heldFrames))
        #expect(played.count == 1 && abs((played.first ?? 0) - Int64(PCM.sampleRate * 3 / 2)) < 64)
    }

    /// A skip names its item: the one prepared next is dropped before it starts, the one playing
    /// ends, and a skip meant for an item no longer on the bus changes nothing.
    @Test func aSkipNamesItsItem() async throws {
        let dir = try AudioFixtures.temporaryDirectory("playout-skip")
        let a = try AudioFixtures.audio(at: dir.appendingPathComponent("a.flac").path, metadata: [:], seconds: 1.5)
        let b = try AudioFixtures.audio(at: dir.appendingPathComponent("b.flac").path, metadata: [:], seconds: 1, frequency: 550)
        let queue = PlayoutQueue()
        queue.append(PlayoutItem(id: "a", path: a, title: "A", artist: "", durationMs: 1500))
        queue.append(PlayoutItem(id: "b", path: b, title: "B", artist: "", durationMs: 1000))
        var options = PlayoutEngine.Options()
        options.fallbackTone = false
        let recorder = Recorder()
        // The skips are asked for from the engine's own events, so where they land on the bus
        // does not depend on how busy the machine is: B is prepared once A has started (A is
        // shorter than the prefetch), and the skip is taken at the next chunk.
        let box = EngineBox()
        let engine = PlayoutEngine(queue: queue, options: options, sink: recorder.write) { event in
            recorder.note(event)
            switch event {
            case .started(let item, _) where item.id == "a": box.engine?.skip(id: "b")
            case .finished(let item, _, _) where item.id == "a":
                box.engine?.skip(id: "a")  // over already: nothing happens
                queue.append(PlayoutItem(id: "c", path: b, title: "C", artist: "", durationMs: 1000))
            case .started(let item, _) where item.id == "c": box.engine?.skip(id: "c")
            default: break
            }
        }
        box.engine = engine
        let finished = { recorder.events.compactMap { if case .finished(let item, _, let frames) = $0 { (item.id, frames) } else { nil } } }
        engine.start()
        var tries = 0
        while !finished().contains(where: { $0.0 == "c" }) && tries < 600 {
            try await Task.sleep(for: .milliseconds(50))
            tries += 1
        }
        engine.stop()
        let started = recorder.events.compactMap { if case .started(let item, _) = $0 { item.id } else { nil } }
        #expect(started == ["a", "c"])
        #expect(finished().map(\.0) == ["a", "c"])
        // All of A played: its samples, plus any silence a decoder starved by a busy machine
        // made the bus wait (reported as underruns; the test suite runs beside ffmpeg-heavy tests).
        let waited = recorder.events.reduce(Int64(0)) { total, event in
            if case .underrun(_, let frames) = event { return total + frames }
            return total
        }
        #expect(abs((finished().first?.1 ?? 0) - Int64(PCM.sampleRate * 3 / 2) - waited) < 64)
        #expect((finished().last?.1 ?? .max) < Int64(PCM.sampleRate / 2) + waited)
    }

    /// A file whose reads hang (here a FIFO nobody writes, as a share that stops answering):
    /// after the stall limit it is given up on, reported failed, and the next item airs.
    @Test func aDecoderThatHangsIsGivenUp() async throws {
        let dir = try AudioFixtures.temporaryDirectory("playout-hang")
        let hung = dir.appendingPathComponent("hung.flac").path
        #expect(mkfifo(hung, 0o600) == 0)
        let b = try AudioFixtures.audio(at: dir.appendingPathComponent("b.flac").path, metadata: [:], seconds: 1, frequency: 550)
        let queue = PlayoutQueue()
        queue.append(PlayoutItem(id: "hung", path: hung, title: "Hung", artist: "", durationMs: 60_000))
        queue.append(PlayoutItem(id: "b", path: b, title: "B", artist: "", durationMs: 1000))
        var options = PlayoutEngine.Options()
        options.fallbackTone = false
        options.stallLimitMs = 1_000
        let recorder = Recorder()
        let engine = PlayoutEngine(queue: queue, options: options, sink: recorder.write, events: recorder.note)
        engine.start()
        // Up to 30 s: without the stall limit the FIFO's read never returns and B never starts;
        // how soon it is given up is not asserted (the suite runs beside ffmpeg-heavy tests).
        try await recorder.waitFor { if case .started(let item, _) = $0 { item.id == "b" } else { false } }
        engine.stop()
        // Whatever still waits to open the FIFO gets its end of file (no ffmpeg left behind).
        let writer = open(hung, O_WRONLY | O_NONBLOCK)
        if writer >= 0 { close(writer) }
        let failed = recorder.events.compactMap { if case .failed(let item, _) = $0 { item.id } else { nil } }
        #expect(failed == ["hung"])
        #expect(recorder.events.contains { if case .started(let item, _) = $0 { item.id == "b" } else { false } })
    }

    /// A decoder that stops giving audio for half a second (its file arrives in two parts, as
    /// from a busy machine or a slow share) while the bus is ahead of the clock: the lead absorbs
    /// it and no silence airs (before, the bus filled the wait with silence at once).
    @Test func aDecoderThatFallsBehindWithinTheLeadAirsNoSilence() async throws {
        let dir = try AudioFixtures.temporaryDirectory("playout-late")
        let file = try AudioFixtures.audio(at: dir.appendingPathComponent("t.flac").path, metadata: [:], seconds: 3, frequency: 440)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: file)))
        let fifo = dir.appendingPathComponent("late.flac").path
        #expect(mkfifo(fifo, 0o600) == 0)
        let writer = Thread {
            guard let handle = FileHandle(forWritingAtPath: fifo) else { return }
            handle.write(Data(bytes[..<(bytes.count / 2)]))
            usleep(500_000)
            handle.write(Data(bytes[(bytes.count / 2)...]))
            try? handle.close()
        }
        writer.start()
        let queue = PlayoutQueue()
        queue.append(PlayoutItem(id: "late", path: fifo, title: "Late", artist: "", durationMs: 3000))
        var options = PlayoutEngine.Options()
        options.fallbackTone = false
        // Three seconds of lead: the half-second wait is well inside it even on a busy machine.
        options.leadMs = 3_000
        let recorder = Recorder()
        let engine = PlayoutEngine(queue: queue, options: options, sink: recorder.write, events: recorder.note)
        engine.start()
        try await recorder.waitFor { if case .finished = $0 { true } else { false } }
        engine.stop()
        let underruns = recorder.events.filter { if case .underrun = $0 { true } else { false } }
        #expect(underruns.isEmpty, "\(underruns)")
        let played = recorder.events.compactMap { if case .finished(_, _, let played) = $0 { played } else { nil } }
        #expect(played.count == 1 && abs((played.first ?? 0) - Int64(3 * PCM.sampleRate)) < 64)
        // The item's own audio (the sine has no silent run longer than a few samples).
        let item = Recorder()
        item.write(Array(recorder.audio.prefix(3 * PCM.sampleRate * PCM.bytesPerFrame)))
        #expect(item.longestSilence() < 64)
    }

    /// A queued item is played from where `startMs` says (a restart resumes mid-track).
    @Test func anItemStartsAtItsOffset() throws {
        let dir = try AudioFixtures.temporaryDirectory("playout-offset")
        let path = try AudioFixtures.audio(at: dir.appendingPathComponent("t.flac").path, metadata: [:], seconds: 3)
        let queue = PlayoutQueue()
        queue.append(PlayoutItem(id: "t", path: path, title: "T", artist: "", durationMs: 3000, startMs: 1000))
        var options = PlayoutEngine.Options()
        options.paced = false
        options.stopWhenEmpty = true
        let recorder = Recorder()
        PlayoutEngine(queue: queue, options: options, sink: recorder.write, events: recorder.note).runToEnd()
        let frames = recorder.audio.count / PCM.bytesPerFrame
        #expect(abs(frames - 2 * PCM.sampleRate) < 64)
    }

    /// Cue points: the item airs from its cue-in to its cue-out, nothing more.
    @Test func anItemPlaysBetweenItsCuePoints() throws {
        let dir = try AudioFixtures.temporaryDirectory("playout-cue")
        let path = try AudioFixtures.audio(at: dir.appendingPathComponent("t.wav").path, metadata: [:], seconds: 3)
        let queue = PlayoutQueue()
        queue.append(PlayoutItem(id: "t", path: path, title: "T", artist: "", durationMs: 3000, startMs: 500, endMs: 1_700))
        var options = PlayoutEngine.Options()
        options.paced = false
        options.stopWhenEmpty = true
        let recorder = Recorder()
        PlayoutEngine(queue: queue, options: options, sink: recorder.write, events: recorder.note).runToEnd()
        #expect(abs(recorder.audio.count / PCM.bytesPerFrame - Int(PCM.frames(milliseconds: 1_200))) < 64)
    }

    /// A scheduled cut (a show starting) lands on its exact frame: what played fades out to
    /// silence at that frame, what was queued is dropped, and the cut's items air from there.
    @Test func aCutSwitchesProgrammeAtItsFrame() throws {
        let dir = try AudioFixtures.temporaryDirectory("playout-cut")
        let long = try AudioFixtures.audio(at: dir.appendingPathComponent("a.wav").path, metadata: [:], seconds: 8, frequency: 440)
        let show = try AudioFixtures.audio(at: dir.appendingPathComponent("b.wav").path, metadata: [:], seconds: 2, frequency: 660)
        let queue = PlayoutQueue()
        queue.append(PlayoutItem(id: "a", path: long, title: "A", artist: "", durationMs: 8000))
        queue.append(PlayoutItem(id: "dropped", path: long, title: "Dropped", artist: "", durationMs: 8000))
        var options = PlayoutEngine.Options()
        options.paced = false
        options.stopWhenEmpty = true
        let recorder = Recorder()
        let engine = PlayoutEngine(queue: queue, options: options, sink: recorder.write, events: recorder.note)
        let cutFrame = PCM.frames(milliseconds: 3_025)  // inside a chunk, not on its edge
        engine.cut(atFrame: cutFrame, to: [PlayoutItem(id: "b", path: show, title: "B", artist: "", durationMs: 2000)])
        engine.runToEnd()

        #expect(Int64(recorder.audio.count / PCM.bytesPerFrame) == cutFrame + 2 * Int64(PCM.sampleRate))
        var started: [(String, Int64)] = []
        for case .started(let item, let frame) in recorder.events { started.append((item.id, frame)) }
        #expect(started.map(\.0) == ["a", "b"])
        #expect(started.last?.1 == cutFrame)
        let full = recorder.peak(PCM.frames(milliseconds: 1_000), 4_410)
        #expect(full > 2_000)
        #expect(recorder.peak(cutFrame - 441, 441) < full / 10, "the last 10 ms before the cut are faded out")
        #expect(recorder.peak(cutFrame + 441, 441) > full / 2, "the show starts at full level")
        #expect(recorder.longestSilence(from: Int(cutFrame) + 10) < 882)
    }
    /// An item made to end where the cut is (a show's outro) plays to its last sample: the cut's
    /// fade is for what it interrupts.
    @Test func anItemEndingAtTheCutIsNotFaded() throws {
        let dir = try AudioFixtures.temporaryDirectory("playout-outro")
        let outro = try AudioFixtures.audio(at: dir.appendingPathComponent("a.wav").path, metadata: [:], seconds: 3, frequency: 440)
        let next = try AudioFixtures.audio(at: dir.appendingPathComponent("b.wav").path, metadata: [:], seconds: 1, frequency: 660)
        let queue = PlayoutQueue()
        queue.append(PlayoutItem(id: "outro", path: outro, title: "Outro", artist: "", durationMs: 3000))
        var options = PlayoutEngine.Options()
        options.paced = false
        options.stopWhenEmpty = true
        let recorder = Recorder()
        let engine = PlayoutEngine(queue: queue, options: options, sink: recorder.write, events: recorder.note)
        let cutFrame = PCM.frames(milliseconds: 3_000)
        engine.cut(atFrame: cutFrame, to: [PlayoutItem(id: "b", path: next, title: "B", artist: "", durationMs: 1000)])
        engine.runToEnd()

        let full = recorder.peak(PCM.frames(milliseconds: 1_000), 4_410)
        #expect(full > 2_000)
        #expect(recorder.peak(cutFrame - 441, 441) > full * 9 / 10, "the outro's last 10 ms at full level")
        #expect(recorder.peak(cutFrame - 22_050, 441) > full * 9 / 10, "and half a second before its end")
    }
}

import Foundation

/// What the engine reports, with the bus position (in frames since the engine started) at
/// which it happened: listeners hear it when their stream reaches that position.
public enum PlayoutEvent: Sendable {
    /// An item's first sample went onto the bus.
    case started(PlayoutItem, frame: Int64)
    /// An item played to its end.
    case finished(PlayoutItem, frame: Int64, playedFrames: Int64)
    /// The file gave no audio (missing, unreadable); the next item took its place at once.
    case failed(PlayoutItem, frame: Int64)
    /// Nothing was queued: the fallback (a tone, or silence) airs until something is.
    case fallback(frame: Int64)
    /// A decoder fell behind and silence filled the bus (the dead-air alarm).
    case underrun(frame: Int64, frames: Int64)
    /// What went out has been silent (below −50 dBFS) for `frames` in a row, whatever aired it
    /// (a silent file, a live source sending nothing): raised once per silence, when it reaches
    /// `Options.silenceAlarmMs`.
    case silence(frame: Int64, frames: Int64)
}

/// The station's bus: takes items from a queue, decodes them with ffmpeg, and writes PCM to the
/// sink in 100 ms chunks, paced against the monotonic clock with half a second of lead. Items
/// join sample-exact (no gap, nothing dropped); the next decoder starts a few seconds before the
/// current item ends. When the queue is empty a quiet tone airs instead: never dead air.
public final class PlayoutEngine: @unchecked Sendable {
    public struct Options: Sendable {
        public var ffmpeg = "/usr/bin/ffmpeg"
        /// How far ahead of the wall clock the bus runs: it absorbs a decoder's start-up and a
        /// busy machine's scheduling (the listener hears it later by this much, titles included).
        public var leadMs = 1_000
        /// How long before an item's end the next decoder starts (ffmpeg takes 0.1–0.2 s here).
        public var prefetchMs = 3_000
        /// False: write as fast as the decoders allow (tests and offline rendering).
        public var paced = true
        /// Stop when the queue runs dry instead of airing the fallback tone (offline rendering).
        public var stopWhenEmpty = false
        /// How long one item fades into the next; 0 joins them end to end. An item's own
        /// `fadeInMs`/`fadeOutMs` take its place at that item's edges.
        public var crossfadeMs = 0
        public var crossfadeCurve = CrossfadeCurve.equalPower
        /// How long what plays fades out before a scheduled cut (a show's start or end).
        public var cutFadeMs = 1_000
        /// What airs while nothing is queued: a quiet tone (a station: on air, nothing scheduled)
        /// or silence (a party room waiting for its next song).
        public var fallbackTone = true
        /// How long a decoder may give nothing while alive (a file on a share that hangs) before
        /// it is given up on and the next item airs.
        public var stallLimitMs = 5_000
        /// Where an item's file is read from (a station's local copy of a network share's file);
        /// called on the bus's thread, so it must not wait on slow storage.
        public var source: (@Sendable (String) -> String)?
        /// How long the output may stay silent before `.silence` is raised; nil: never (a party
        /// room waits for its next song in silence).
        public var silenceAlarmMs: Int?
        public init() {}
    }

    /// 100 ms: joins stay sample-exact inside a chunk, and the encoders wake ten times a second
    /// rather than fifty (their real-time overhead is most of a station's cost).
    public static let chunkFrames = 4_410

    private let queue: PlayoutQueue
    private let options: Options
    private let sink: @Sendable ([UInt8]) -> Void
    private let events: @Sendable (PlayoutEvent) -> Void
    private let lock = NSLock()
    private var running = false
    private var thread: Thread?
    private let done = DispatchSemaphore(value: 0)

    private var current: Decoder?
    private var currentStart: Int64 = 0
    private var next: Decoder? {
        didSet { lock.withLock { preparedItem = next?.item } }
    }
    /// `next`'s item, readable from other threads.
    private var preparedItem: PlayoutItem?
    private var onFallback = false
    private var tonePhase: Double = 0
    /// The station's fallback clip and where in it the loop is (guarded by `lock`).
    private var fallbackLoop: [UInt8]?
    private var fallbackOffset = 0
    /// Frames written to the sink since start.
    private var written: Int64 = 0
    /// When the paced clock started (monotonic nanoseconds).
    private var clockStart: UInt64 = 0
    private var skipRequested = false
    /// Only this item is to be skipped (nil: whatever plays); checked on the bus's thread, so a
    /// skip meant for an item that ended meanwhile never cuts the next one.
    private var skipItemID: String?
    /// Held: the bus carries silence and the current item waits where it stopped.
    private var paused = false
    private var requested: [PlayoutItem] = []
    /// Whether the current item's start has been reported (it is, with its first sample).
    private var announced = false
    /// Frames of silence the current decoder has left the bus in a row.
    private var stalledFrames: Int64 = 0
    /// Frames of silent output in a row, and whether this silence was reported.
    private var silentFrames: Int64 = 0
    private var silenceReported = false
    private var crossfadeMs: Int
    private var curve: CrossfadeCurve
    /// A crossfade in progress: the incoming decoder and the overlap's length and progress.
    private var fade: (incoming: Decoder, frames: Int, done: Int)?
    /// A change of programme at an exact bus frame (set from other threads, under the lock).
    private var pendingCut: (frame: Int64, items: [PlayoutItem])?
    /// The decoder of the cut's first item, started a few seconds ahead like any next item.
    private var cutPrepared: (frame: Int64, decoder: Decoder)?
    /// The cut whose fade is skipped: what played into it was made to end there.
    private var unfadedCut: Int64?

    public init(
        queue: PlayoutQueue, options: Options = .init(), sink: @escaping @Sendable ([UInt8]) -> Void,
        events: @escaping @Sendable (PlayoutEvent) -> Void
    ) {
        self.queue = queue
        self.options = options
        self.sink = sink
        self.events = events
        crossfadeMs = Self.clampedCrossfade(options.crossfadeMs)
        curve = options.crossfadeCurve
    }

    static func clampedCrossfade(_ ms: Int) -> Int { max(0, min(ms, 10_000)) }

    /// What airs while nothing is queued instead of the tone: a clip (``PCMClip``), looped; nil: the tone.
    public func setFallback(_ pcm: [UInt8]?) {
        lock.withLock {
            // Whole frames only: a stray byte would swap the channels on every other pass.
            fallbackLoop = pcm.flatMap { $0.count >= PCM.bytesPerFrame ? Array($0.prefix($0.count - $0.count % PCM.bytesPerFrame)) : nil }
            fallbackOffset = 0
        }
    }

    /// Changes the crossfade from the next item change on.
    public func setCrossfade(milliseconds: Int, curve: CrossfadeCurve) {
        lock.withLock {
            crossfadeMs = Self.clampedCrossfade(milliseconds)
            self.curve = curve
        }
    }

    /// The overlap between `outgoing` and `incoming`: the incoming item's fade-in, else the
    /// outgoing one's fade-out, the shorter when both have one, else the station's crossfade.
    func overlapMs(from outgoing: PlayoutItem, to incoming: PlayoutItem) -> Int {
        switch (outgoing.fadeOutMs, incoming.fadeInMs) {
        case (let out?, let into?): Self.clampedCrossfade(min(out, into))
        case (let out?, nil): Self.clampedCrossfade(out)
        case (nil, let into?): Self.clampedCrossfade(into)
        case (nil, nil): lock.withLock { crossfadeMs }
        }
    }

    /// The longest fade an item can take part in (what its decoder must hold ahead).
    private func longestFadeMs(_ item: PlayoutItem?) -> Int {
        max(lock.withLock { crossfadeMs }, Self.clampedCrossfade(max(item?.fadeInMs ?? 0, item?.fadeOutMs ?? 0)))
    }

    public var framesWritten: Int64 { lock.withLock { written } }

    /// What airs next: the item whose decoder is already running, then the queue.
    public var upcoming: [PlayoutItem] {
        (lock.withLock { preparedItem }.map { [$0] } ?? []) + queue.upcoming
    }

    public func start() {
        lock.withLock {
            guard !running else { return }
            running = true
            let thread = Thread { [self] in
                run()
                done.signal()
            }
            thread.name = "cadenza.playout"
            thread.qualityOfService = .userInteractive
            self.thread = thread
            thread.start()
        }
    }

    /// Stops the bus and its decoders; returns when the thread has ended.
    public func stop() {
        let wasRunning = lock.withLock {
            let was = running
            running = false
            return was
        }
        if wasRunning { done.wait() }
    }

    /// Stops the bus from a thread of its own: `stop` waits for the bus's thread, which a task
    /// of the cooperative pool must not do.
    public func stopOffThread() async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            Thread {
                self.stop()
                done.resume()
            }.start()
        }
    }

    /// Ends the current item now; the next one (or the fallback) follows at once.
    public func skip() {
        lock.withLock {
            skipRequested = true
            skipItemID = nil
        }
    }

    /// Ends the item with `id` if it is the one playing, or drops it if it is the one prepared to
    /// play next; anything else is left alone.
    public func skip(id: String) {
        lock.withLock {
            skipRequested = true
            skipItemID = id
        }
    }

    /// Holds the current item where it is (the bus carries silence), or lets it go on.
    public func setPaused(_ paused: Bool) {
        lock.withLock { self.paused = paused }
    }

    /// The item whose decoder is running ahead of its start (it is no longer in the queue).
    public var prepared: PlayoutItem? { lock.withLock { preparedItem } }

    /// Puts `item` next, ahead of what was prepared: a manager's "play next".
    public func playNext(_ item: PlayoutItem) {
        lock.withLock { requested.append(item) }
    }

    /// At bus frame `frame` (sample-exact), what plays fades out and stops, what was queued is
    /// dropped, and `items` air from there: a show's start or end. A later call replaces an
    /// earlier cut not yet reached; a frame already passed cuts at once.
    public func cut(atFrame frame: Int64, to items: [PlayoutItem]) {
        lock.withLock { pendingCut = (frame, items) }
    }

    /// Drops the cut not yet reached (the show it started was cancelled); with `frame`, only
    /// if it is still the cut at that frame (a newer one stays).
    public func cancelCut(ifFrame frame: Int64? = nil) {
        lock.withLock {
            if frame == nil || pendingCut?.frame == frame { pendingCut = nil }
        }
    }

    /// The frame of the cut not yet reached, if any.
    public var pendingCutFrame: Int64? { lock.withLock { pendingCut?.frame } }

    /// Runs the bus on the calling thread until the queue is empty (with `stopWhenEmpty`) or stopped.
    public func runToEnd() {
        lock.withLock { running = true }
        run()
        let stopping = lock.withLock {
            defer { running = false }
            return !running
        }
        if stopping { done.signal() }  // a stop() from another thread waits for this
    }

    private var isRunning: Bool { lock.withLock { running } }

    private func run() {
        if options.paced, current == nil, let item = queue.pop() {
            // The first item gets its decoder going before the clock starts: a busy machine may
            // take longer than the lead to the first audio, and a station should not open on silence.
            let decoder = makeDecoder(item)
            waitForAudio(decoder, upToMs: 2_000, bytes: PCM.bytesPerSecond)
            current = decoder
            currentStart = 0
            announced = false
            stalledFrames = 0
        }
        clockStart = DispatchTime.now().uptimeNanoseconds
        let lead = PCM.frames(milliseconds: options.leadMs)
        var chunk: [UInt8] = []
        chunk.reserveCapacity(Self.chunkFrames * PCM.bytesPerFrame)
        while isRunning {
            if options.paced {
                let ahead = lock.withLock({ written }) - (elapsedFrames() + lead)
                if ahead >= 0 {
                    // Sleep until the next chunk is due (at most 100 ms; a skip waits no longer).
                    usleep(useconds_t(min(100_000, max(1_000, ahead * 1_000_000 / Int64(PCM.sampleRate)))))
                    continue
                }
            }
            chunk.removeAll(keepingCapacity: true)
            guard fill(&chunk) else { break }
            sink(chunk)
            watchSilence(chunk)
            lock.withLock { written += Int64(chunk.count / PCM.bytesPerFrame) }
        }
        current?.stop()
        next?.stop()
        fade?.incoming.stop()
        cutPrepared?.decoder.stop()
        current = nil
        next = nil
        fade = nil
        cutPrepared = nil
    }

    /// −50 dBFS, as 16-bit samples.
    static let silenceThreshold: Int32 = 104

    /// The watchdog on what went out: a held bus (paused on purpose) does not count.
    private func watchSilence(_ chunk: [UInt8]) {
        guard let alarmMs = options.silenceAlarmMs else { return }
        let frames = Int64(chunk.count / PCM.bytesPerFrame)
        if lock.withLock({ paused }) || Self.peak(chunk) >= Self.silenceThreshold {
            silentFrames = 0
            silenceReported = false
            return
        }
        silentFrames += frames
        if !silenceReported, silentFrames >= PCM.frames(milliseconds: alarmMs) {
            silenceReported = true
            events(.silence(frame: position(chunk) - silentFrames, frames: silentFrames))
        }
    }

    /// The largest absolute 16-bit little-endian sample in `pcm`.
    static func peak(_ pcm: [UInt8]) -> Int32 {
        // The extremes first, over whole samples (a loop the compiler vectorises): this runs on
        // every chunk the bus airs.
        pcm.withUnsafeBytes { raw in
            var low = Int16.max
            var high = Int16.min
            for offset in stride(from: 0, to: raw.count - 1, by: 2) {
                let sample = Int16(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: Int16.self))
                low = min(low, sample)
                high = max(high, sample)
            }
            return raw.count < 2 ? 0 : max(Int32(high), -Int32(low), 0)
        }
    }

    /// One chunk of bus audio; false when there is nothing more to play and the options say stop.
    private func fill(_ chunk: inout [UInt8]) -> Bool {
        let want = Self.chunkFrames * PCM.bytesPerFrame
        let (skipping, only) = lock.withLock {
            defer {
                skipRequested = false
                skipItemID = nil
            }
            return (skipRequested, skipItemID)
        }
        if skipping, let only, current?.item.id != only {
            // Not what plays: if it is the item prepared next, it goes before it starts.
            if let prepared = next, prepared.item.id == only {
                prepared.stop()
                next = nil
            }
        } else if skipping, let playing = current {
            playing.stop()
            if let fade {
                // Skipped in the middle of a fade: the incoming item simply carries on.
                current = fade.incoming
                currentStart = position(chunk) - Int64(fade.done)
                self.fade = nil
            } else {
                finish(playing, at: position(chunk))
                current = nil
            }
        }
        let cutSoon =
            lock.withLock { pendingCut }.map { $0.frame - position([]) <= PCM.frames(milliseconds: options.prefetchMs + options.leadMs) } ?? false
        if lock.withLock({ paused }), fade == nil, !cutSoon {
            // The item's clock stops with it: what it played, and when the next one starts, are
            // counted without the pause.
            chunk.append(contentsOf: repeatElement(0, count: want))
            if current != nil { currentStart += Int64(Self.chunkFrames) }
            return true
        }
        let asked = lock.withLock {
            defer { requested.removeAll() }
            return requested
        }
        if !asked.isEmpty {
            // Taken on the bus's own thread: the prepared item goes back to the queue's head, and
            // what was asked for goes before it (the latest request first).
            if let prepared = next {
                prepared.stop()
                queue.prepend(prepared.item)
                next = nil
            }
            for item in asked { queue.prepend(item) }
        }
        let start = position(chunk)
        let cut = lock.withLock { pendingCut }
        if let cut, cut.frame < start + Int64(want / PCM.bytesPerFrame) {
            let before = Int(max(0, cut.frame - start)) * PCM.bytesPerFrame
            if before > 0, !fillSegment(&chunk, want: before) { return !chunk.isEmpty }
            applyCutFade(&chunk, from: start, cutFrame: cut.frame)
            performCut(cut, at: position(chunk))
        }
        guard fillSegment(&chunk, want: want) else { return !chunk.isEmpty }
        if let cut = lock.withLock({ pendingCut }) {
            // A cut set meanwhile inside this chunk is performed at the next one's start
            // (unfaded); fading up to it here would dip the audio and come back.
            if cut.frame >= position(chunk) { applyCutFade(&chunk, from: start, cutFrame: cut.frame) }
            prepareCut(cut)
        } else if let prepared = cutPrepared {
            // The cut was called off: its decoder goes too.
            prepared.decoder.stop()
            cutPrepared = nil
        }
        prefetch()
        return true
    }

    /// Fills `chunk` up to `want` bytes from the items (or the fallback tone); false when the
    /// queue ran dry and the options say stop.
    private func fillSegment(_ chunk: inout [UInt8], want: Int) -> Bool {
        var swaps = 0
        while chunk.count < want {
            if fade != nil {
                mixFade(&chunk, want: want)
                continue
            }
            if let playing = current, let incoming = next, !options.paced,
                case let overlap = Int(PCM.frames(milliseconds: overlapMs(from: playing.item, to: incoming.item))), overlap > 0
            {
                // Offline the bus outruns ffmpeg: near the end, let both decoders catch up.
                let left = PCM.frames(milliseconds: playing.item.playMs) - (position(chunk) - currentStart)
                if left <= Int64(overlap) + PCM.frames(milliseconds: 2_000) {
                    var tries = 0
                    while !playing.hasEnded && tries < 30_000 {
                        usleep(1_000)
                        tries += 1
                    }
                    // The whole overlap, not just a first chunk: under load the fade otherwise
                    // began with part of the incoming item missing, and it played that much later.
                    waitForAudio(incoming, upToMs: 30_000, bytes: (overlap + Self.chunkFrames) * PCM.bytesPerFrame)
                }
            }
            if let playing = current, let incoming = next, playing.hasEnded, incoming.bufferedBytes > 0,
                case let overlap = Int(PCM.frames(milliseconds: overlapMs(from: playing.item, to: incoming.item))), overlap > 0
            {
                let remaining = playing.bufferedBytes / PCM.bytesPerFrame
                if remaining > overlap {
                    // Play up to exactly where the overlap begins.
                    _ = playing.read(into: &chunk, count: min(want - chunk.count, (remaining - overlap) * PCM.bytesPerFrame))
                    continue
                }
                if remaining > 0 {
                    next = nil
                    fade = (incoming, remaining, 0)
                    onFallback = false
                    events(.started(incoming.item, frame: position(chunk)))
                    continue
                }
            }
            if current == nil {
                guard swaps < 4, let decoder = takeNext() else { break }
                swaps += 1
                current = decoder
                currentStart = position(chunk)
                announced = false
                stalledFrames = 0
            }
            guard let playing = current else { break }
            let before = position(chunk)
            let got = playing.read(into: &chunk, count: want - chunk.count)
            if got > 0 { stalledFrames = 0 }
            if got > 0 {
                if !announced {
                    // Announced with its first sample: a file that gives no audio never "started".
                    announced = true
                    onFallback = false
                    currentStart = before
                    events(.started(playing.item, frame: before))
                }
                continue
            }
            let stalled = options.paced && !playing.isLive && stalledFrames >= PCM.frames(milliseconds: options.stallLimitMs)
            if playing.isDrained || stalled {
                stalledFrames = 0
                if playing.bytesProduced == 0 {
                    events(.failed(playing.item, frame: position(chunk)))
                } else {
                    finish(playing, at: position(chunk))
                }
                playing.stop()
                current = nil
                continue
            }
            if !options.paced {
                waitForAudio(playing)
                continue
            }
            if !playing.isLive, position(chunk) - elapsedFrames() > PCM.frames(milliseconds: Self.spareLeadMs), isRunning {
                // Alive but behind while the bus is still ahead of the clock (a busy machine
                // starved ffmpeg for a moment): the lead absorbs it, no silence is aired.
                usleep(2_000)
                continue
            }
            // The decoder is alive but behind and the lead is spent: silence keeps the bus moving.
            let missing = want - chunk.count
            stalledFrames += Int64(missing / PCM.bytesPerFrame)
            events(.underrun(frame: position(chunk), frames: Int64(missing / PCM.bytesPerFrame)))
            chunk.append(contentsOf: repeatElement(0, count: missing))
        }
        if chunk.count < want {
            if options.stopWhenEmpty && current == nil && queue.count == 0 && lock.withLock({ pendingCut == nil }) { return false }
            if !onFallback {
                onFallback = true
                // Each stretch of fallback begins the clip from its faded-in start.
                lock.withLock { fallbackOffset = 0 }
                events(.fallback(frame: position(chunk)))
            }
            // Just before a cut the fallback is silence: an outro that ended a moment early
            // is followed by the cut, not by a blip of the tone.
            let cutImminent = lock.withLock { pendingCut }.map { $0.frame - position(chunk) <= PCM.frames(milliseconds: options.cutFadeMs) } ?? false
            if options.fallbackTone && !cutImminent {
                appendFallback(&chunk, count: want - chunk.count)
            } else {
                chunk.append(contentsOf: repeatElement(0, count: want - chunk.count))
            }
        }
        return true
    }

    /// Fades the outgoing audio in `chunk` (whose first frame is `start`) over the last
    /// `cutFadeMs` before `cutFrame`: equal-power, down to silence at the cut.
    private func applyCutFade(_ chunk: inout [UInt8], from start: Int64, cutFrame: Int64) {
        let length = PCM.frames(milliseconds: options.cutFadeMs)
        guard length > 0 else { return }
        guard unfadedCut != cutFrame else { return }
        let frames = Int64(chunk.count / PCM.bytesPerFrame)
        let first = max(start, cutFrame - length), last = min(start + frames, cutFrame)
        guard first < last else { return }
        // Decided once, as the fade would begin: an item made to end at the cut (a show's outro,
        // give or take what its file really holds) plays out whole.
        if fade == nil, let playing = current, announced,
            abs(currentStart + PCM.frames(milliseconds: playing.item.playMs) - cutFrame) <= PCM.frames(milliseconds: 250)
        {
            unfadedCut = cutFrame
            return
        }
        for frame in first..<last {
            let gain = sin(Double(cutFrame - frame) / Double(length) * .pi / 2)
            for channel in 0..<PCM.channels {
                let offset = Int(frame - start) * PCM.bytesPerFrame + channel * 2
                let faded = Int16((Double(Self.sample(chunk, offset)) * gain).rounded())
                let bits = UInt16(bitPattern: faded)
                chunk[offset] = UInt8(bits & 0xff)
                chunk[offset + 1] = UInt8(bits >> 8)
            }
        }
    }

    /// Starts the cut's first decoder a few seconds ahead (and drops one prepared for a cut
    /// that was replaced).
    private func prepareCut(_ cut: (frame: Int64, items: [PlayoutItem])) {
        if let prepared = cutPrepared, prepared.frame != cut.frame || prepared.decoder.item != cut.items.first {
            prepared.decoder.stop()
            cutPrepared = nil
        }
        guard cutPrepared == nil, let first = cut.items.first,
            cut.frame - position([]) <= PCM.frames(milliseconds: options.prefetchMs + options.leadMs)
        else { return }
        cutPrepared = (cut.frame, makeDecoder(first))
    }

    /// The change of programme: what plays and what was prepared stop, the queue becomes the cut's items.
    private func performCut(_ cut: (frame: Int64, items: [PlayoutItem]), at frame: Int64) {
        lock.withLock {
            if pendingCut?.frame == cut.frame { pendingCut = nil }
        }
        if let playing = current {
            playing.stop()
            if announced { finish(playing, at: frame) }
        }
        if let incoming = fade?.incoming {
            incoming.stop()
            finish(incoming, at: frame)
        }
        next?.stop()
        fade = nil
        next = nil
        current = nil
        var items = cut.items
        if let prepared = cutPrepared {
            cutPrepared = nil
            if prepared.frame == cut.frame, prepared.decoder.item == items.first {
                items.removeFirst()
                current = prepared.decoder
                currentStart = frame
                announced = false
                stalledFrames = 0
            } else {
                prepared.decoder.stop()
            }
        }
        queue.replace(with: items)
    }

    /// Mixes the outgoing item's last frames with the incoming one's first, along the curve.
    private func mixFade(_ chunk: inout [UInt8], want: Int) {
        guard let (incoming, frames, done) = fade, let outgoing = current else {
            fade = nil
            return
        }
        let count = min((want - chunk.count) / PCM.bytesPerFrame, frames - done)
        var a: [UInt8] = [], b: [UInt8] = []
        let gotA = outgoing.read(into: &a, count: count * PCM.bytesPerFrame) / PCM.bytesPerFrame
        let gotB = incoming.read(into: &b, count: count * PCM.bytesPerFrame) / PCM.bytesPerFrame
        let n = max(gotA, gotB, outgoing.isDrained ? 0 : count)
        let curve = lock.withLock { self.curve }
        for frame in 0..<n {
            let (gainOut, gainIn) = curve.gains(Double(done + frame) / Double(frames))
            for channel in 0..<PCM.channels {
                let offset = frame * PCM.bytesPerFrame + channel * 2
                let x = frame < gotA ? Double(Self.sample(a, offset)) : 0
                let y = frame < gotB ? Double(Self.sample(b, offset)) : 0
                let mixed = Int16(max(-32_768, min(32_767, (x * gainOut + y * gainIn).rounded())))
                let bits = UInt16(bitPattern: mixed)
                chunk.append(UInt8(bits & 0xff))
                chunk.append(UInt8(bits >> 8))
            }
        }
        let nowDone = done + n
        if nowDone >= frames || outgoing.isDrained || n == 0 {
            // The outgoing item is over; the incoming one is what airs (its start was announced
            // where the fade began).
            let start = position(chunk) - Int64(nowDone)
            finish(outgoing, at: position(chunk))
            outgoing.stop()
            current = incoming
            currentStart = start
            announced = true
            fade = nil
        } else {
            fade = (incoming, frames, nowDone)
        }
    }

    static func sample(_ bytes: [UInt8], _ offset: Int) -> Int16 {
        Int16(bitPattern: UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8)
    }

    /// Frames of wall-clock time since the paced clock started.
    private func elapsedFrames() -> Int64 {
        Int64((DispatchTime.now().uptimeNanoseconds - clockStart) / 1000) * Int64(PCM.sampleRate) / 1_000_000
    }

    /// How much of the lead a starved decoder may use up before silence is aired instead.
    static let spareLeadMs = 200

    private func position(_ chunk: [UInt8]) -> Int64 {
        lock.withLock { written } + Int64(chunk.count / PCM.bytesPerFrame)
    }

    private func finish(_ decoder: Decoder, at frame: Int64) {
        events(.finished(decoder.item, frame: frame, playedFrames: frame - currentStart))
    }

    private func takeNext() -> Decoder? {
        if let prepared = next {
            next = nil
            // Prefetched late (the item before ended sooner than the catalog said): a moment more.
            waitForAudio(prepared, upToMs: options.paced ? 300 : 2_000)
            return prepared
        }
        guard let item = queue.pop() else { return nil }
        let decoder = makeDecoder(item)
        // Not prefetched (the first item, or one queued after a dry spell): ffmpeg takes 0.1–0.2 s
        // to its first audio, which the bus's lead covers; waiting here beats airing silence.
        waitForAudio(decoder, upToMs: options.paced ? 300 : 2_000)
        return decoder
    }

    /// Starts the next item's decoder while the current one still has a few seconds to go.
    private func prefetch() {
        guard next == nil, fade == nil, let playing = current else { return }
        let total = PCM.frames(milliseconds: playing.item.playMs)
        let played = position([]) - currentStart
        let early = options.prefetchMs + max(longestFadeMs(playing.item), longestFadeMs(queue.first))
        guard total - played <= PCM.frames(milliseconds: early) || playing.isDrained, let item = queue.pop() else { return }
        next = makeDecoder(item)
    }

    private func makeDecoder(_ item: PlayoutItem) -> Decoder {
        let decoder = Decoder(
            item: item, ffmpeg: options.ffmpeg, readAheadMs: 4_000 + longestFadeMs(item), source: options.source?(item.path))
        decoder.start()
        return decoder
    }

    /// Waits (at most `limit` ms) until `decoder` has `bytes` of audio (a chunk by default) or is done.
    private func waitForAudio(_ decoder: Decoder, upToMs limit: Int = 2_000, bytes: Int = chunkFrames * PCM.bytesPerFrame) {
        var tries = 0
        while decoder.bufferedBytes < bytes && !decoder.hasEnded && tries < limit {
            usleep(1_000)
            tries += 1
        }
    }

    /// A quiet 440 Hz tone (−26 dBFS): the station is on air and nothing is scheduled.
    /// The station's clip, looped, where it has one; else the tone.
    private func appendFallback(_ chunk: inout [UInt8], count: Int) {
        let (loop, offset) = lock.withLock { (fallbackLoop, fallbackOffset) }
        guard let loop, !loop.isEmpty else {
            appendTone(&chunk, count: count)
            return
        }
        var position = offset < loop.count ? offset : 0
        var left = count
        while left > 0 {
            let take = min(left, loop.count - position)
            chunk.append(contentsOf: loop[position..<position + take])
            left -= take
            position = (position + take) % loop.count
        }
        lock.withLock { if fallbackLoop?.count == loop.count { fallbackOffset = position } }
    }

    private func appendTone(_ chunk: inout [UInt8], count: Int) {
        let step = 2 * Double.pi * 440 / Double(PCM.sampleRate)
        for _ in 0..<(count / PCM.bytesPerFrame) {
            let sample = Int16(sin(tonePhase) * 1_640)
            tonePhase += step
            if tonePhase > 2 * Double.pi { tonePhase -= 2 * Double.pi }
            let bits = UInt16(bitPattern: sample)
            let low = UInt8(bits & 0xff), high = UInt8(bits >> 8)
            chunk.append(contentsOf: [low, high, low, high])
        }
    }
}

import Foundation

/// One ffmpeg process turning a file into bus PCM, read ahead by its own thread into a bounded
/// buffer (a few seconds, so a whole album side is never held in memory).
final class Decoder: @unchecked Sendable {
    let item: PlayoutItem
    private let process = Process()
    private let condition = NSCondition()
    private var buffer: [UInt8] = []
    private var readOffset = 0
    private var ended = false
    private var stopped = false
    private(set) var bytesProduced = 0
    private let capacity: Int
    /// Where a full buffer is read on from: a second below `capacity` (at most half of it).
    private var lowWater: Int { max(capacity / 2, capacity - PCM.bytesPerSecond) }
    /// The live feed this decoder airs, if it is one.
    private let live: LiveFeed?
    /// A DJ's source: its silences are the live input's to judge (it lets a source go after its own timeout).
    var isLive: Bool { live != nil }
    /// The item's gain as a Q16 multiplier (65536 = unity), applied as samples are read.
    private let gain: Int32

    /// `readAheadMs`: how much audio is decoded ahead; a crossfade needs its whole length
    /// buffered (with ffmpeg finished) to know where the item ends.
    /// `source`: where the item's audio is read from, when not its own path (a local copy).
    init(item: PlayoutItem, ffmpeg: String, readAheadMs: Int = 4_000, source: String? = nil) {
        self.item = item
        capacity = PCM.bytesPerSecond * max(1_000, min(readAheadMs, 30_000)) / 1_000
        var arguments = ["-hide_banner", "-loglevel", "error", "-nostdin"]
        live = LiveFeeds.feed(path: item.path)
        gain = Self.multiplier(gainDB: item.gainDB)
        if live != nil {
            // A live source: whatever the DJ's client sends, read from the feed's pipe as it comes.
            arguments += ["-probesize", "32768", "-i", "pipe:0", "-vn", "-f", "s16le", "-ac", "2", "-ar", "44100", "pipe:1"]
            process.executableURL = URL(fileURLWithPath: ffmpeg)
            process.arguments = arguments
            return
        }
        if item.startMs > 0 { arguments += ["-ss", String(format: "%.3f", Double(item.startMs) / 1000)] }
        if let end = item.endMs, end > item.startMs { arguments += ["-t", String(format: "%.3f", Double(end - item.startMs) / 1000)] }
        arguments += ["-i", source ?? item.path, "-vn", "-map_metadata", "-1", "-f", "s16le", "-ac", "2", "-ar", "44100", "pipe:1"]
        process.executableURL = URL(fileURLWithPath: ffmpeg)
        process.arguments = arguments
    }

    /// Starts ffmpeg; a file that cannot be opened simply produces no audio (the engine skips it).
    func start() {
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        process.standardInput = live?.pipe.fileHandleForReading ?? FileHandle.nullDevice
        live?.attach()
        do {
            try process.run()
        } catch {
            condition.withLock { ended = true }
            live?.kill()
            return
        }
        let live = self.live
        let handle = pipe.fileHandleForReading
        let thread = Thread { [self] in
            while true {
                let chunk = handle.availableData
                condition.lock()
                if chunk.isEmpty || stopped {
                    // ffmpeg is gone: its feed's writer must not wait on the pipe.
                    if let live { DispatchQueue.global().async { live.kill() } }
                    ended = true
                    condition.broadcast()
                    condition.unlock()
                    break
                }
                buffer.append(contentsOf: chunk)
                bytesProduced += chunk.count
                if buffer.count - readOffset > capacity {
                    // Full: read on once a second's room is free, so this thread and ffmpeg wake
                    // once a second rather than with every 100 ms the bus takes.
                    while buffer.count - readOffset > lowWater && !stopped { condition.wait() }
                }
                condition.unlock()
            }
            try? handle.close()
        }
        thread.name = "cadenza.decoder"
        thread.start()
    }

    /// Copies up to `count` bytes into `out`; returns how many. Never waits.
    func read(into out: inout [UInt8], count: Int) -> Int {
        condition.lock()
        defer { condition.unlock() }
        // Whole frames only, so the channels never swap.
        let available = (buffer.count - readOffset) / PCM.bytesPerFrame * PCM.bytesPerFrame
        let n = min(count, available)
        if n > 0 {
            let first = out.count
            out.append(contentsOf: buffer[readOffset..<(readOffset + n)])
            if gain != 65_536 { Self.apply(gain: gain, to: &out, from: first) }
            readOffset += n
            if readOffset > capacity {
                buffer.removeFirst(readOffset)
                readOffset = 0
            }
            if buffer.count - readOffset <= lowWater { condition.broadcast() }
        }
        return n
    }

    /// `gainDB` as a fixed-point multiplier, bounded to ±24 dB (a gain from a file is never trusted).
    static func multiplier(gainDB: Double) -> Int32 {
        guard gainDB.isFinite, gainDB != 0 else { return 65_536 }
        let linear = pow(10, max(-24, min(24, gainDB)) / 20)
        return Int32((linear * 65_536).rounded())
    }

    /// Scales the samples of `bytes` from `start` on, clipping at full scale.
    static func apply(gain: Int32, to bytes: inout [UInt8], from start: Int) {
        bytes.withUnsafeMutableBytes { raw in
            var offset = start
            while offset + 1 < raw.count {
                let sample = Int16(bitPattern: UInt16(raw[offset]) | UInt16(raw[offset + 1]) << 8)
                let scaled = (Int64(sample) * Int64(gain)) >> 16
                let clipped = Int16(max(Int64(Int16.min), min(Int64(Int16.max), scaled)))
                let bits = UInt16(bitPattern: clipped)
                raw[offset] = UInt8(truncatingIfNeeded: bits)
                raw[offset + 1] = UInt8(truncatingIfNeeded: bits >> 8)
                offset += 2
            }
        }
    }

    /// True once ffmpeg has exited and everything it wrote has been read.
    var isDrained: Bool {
        condition.withLock { ended && buffer.count - readOffset < PCM.bytesPerFrame }
    }

    /// True once ffmpeg has exited: what is buffered is all that is left of the item.
    var hasEnded: Bool { condition.withLock { ended } }

    /// Bytes of audio buffered and not yet read.
    var bufferedBytes: Int { condition.withLock { buffer.count - readOffset } }

    func stop() {
        condition.withLock {
            stopped = true
            condition.broadcast()
        }
        if process.isRunning {
            process.terminate()
            // ffmpeg blocked opening a file that never answers (a FIFO, a hung share) does not act
            // on SIGTERM: it is killed if still there half a second later.
            nonisolated(unsafe) let stuck = process
            DispatchQueue.global().asyncAfter(deadline: .now() + 0.5) {
                if stuck.isRunning { kill(stuck.processIdentifier, SIGKILL) }
            }
        }
        // The feed's writer must not wait on a pipe nobody reads any more.
        live?.kill()
    }
}

import Foundation

/// One long-lived ffmpeg turning bus PCM into a listener format (MP3 or AAC in ADTS, or HLS),
/// fed by its own thread from a bounded queue: one output failing or stalling never stops the
/// bus or the other outputs. A dead encoder is started again, after 1, 2, 4… up to 30 s when it
/// keeps failing.
public final class Encoder: @unchecked Sendable {
    public enum Format: String, Sendable {
        case mp3, aac

        public var contentType: String { self == .mp3 ? "audio/mpeg" : "audio/aac" }

        func arguments(bitrate: Bitrate) -> [String] {
            switch self {
            case .mp3: ["-c:a", "libmp3lame", "-b:a", bitrate.ffmpeg, "-f", "mp3"]
            // The native encoder's fast coder: half the CPU of the default two-loop search here
            // (0.66 % of a core against 1.43 %), and 128 kb/s leaves it bits to spare. (HLS keeps
            // the default: with the fast coder one segment in six came out 46 ms shorter than its
            // EXTINF, past what RFC 8216 players tolerate.)
            case .aac: ["-c:a", "aac", "-aac_coder", "fast", "-b:a", bitrate.ffmpeg, "-f", "adts"]
            }
        }
    }

    /// An output's constant bitrate in kb/s: one of the rates MP3 frames can state (MPEG-1 layer
    /// III, 32 to 320), so a mount's MP3 is the rate its listeners were told.
    public struct Bitrate: Sendable, Equatable, Hashable, Codable {
        public static let allowed = [32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320]
        public static let standard = Bitrate(checked: 128)

        public let kbps: Int

        /// nil unless `kbps` is one of `allowed`.
        public init?(kbps: Int) {
            guard Self.allowed.contains(kbps) else { return nil }
            self.kbps = kbps
        }

        private init(checked kbps: Int) { self.kbps = kbps }

        /// A plain number (kb/s), refused unless allowed.
        public init(from decoder: any Swift.Decoder) throws {
            let container = try decoder.singleValueContainer()
            let kbps = try container.decode(Int.self)
            guard Self.allowed.contains(kbps) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an allowed bitrate: \(kbps)")
            }
            self.kbps = kbps
        }

        public func encode(to encoder: any Swift.Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(kbps)
        }

        var ffmpeg: String { "\(kbps)k" }
    }

    /// Where an HLS encoder's run sits on the bus: the number of its first segment, the encoder
    /// input frame of the first sample that run was given, and ffmpeg's program date-time for
    /// that segment once the playlist states it (see HLSPlaylist.restamp).
    public struct HLSTimeline: Sendable, Equatable {
        public var firstSequence: Int64
        public var firstFrame: Int64
        public var firstProgramDateMs: Int64?
    }

    /// The AAC encoder's priming frame (1,024 samples), which a decoded segment starts with.
    public static let primingMilliseconds: Int64 = 23

    /// `seg_1796000042.ts` → 1796000042.
    public static func segmentSequence<S: StringProtocol>(_ name: S) -> Int64? {
        guard name.hasPrefix("seg_"), name.hasSuffix(".ts") else { return nil }
        let digits = name.dropFirst(4).dropLast(3)
        guard (5...12).contains(digits.count), digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int64(digits)
    }

    private var outputArguments: [String]
    private let hls: (directory: String, segmentSeconds: Int, bitrate: Bitrate)?
    /// Frames given to `write` since the encoder was made (what the bus has aired since).
    private var receivedFrames: Int64 = 0
    /// The HLS runs of this encoder, oldest first (the last few: what a playlist can still list).
    private var timelines: [HLSTimeline] = []
    private let ffmpeg: String
    private let output: @Sendable ([UInt8]) -> Void
    private let onLaunch: @Sendable () -> Void
    private let condition = NSCondition()
    private var chunks: [[UInt8]] = []
    private var stopped = false
    private var started = false
    private var process: Process?
    private var input: FileHandle?
    private var backoff: Double = 1
    private var nextLaunch = Date.distantPast
    private var launchedAt = Date.distantPast
    public private(set) var restarts = 0
    /// Chunks waiting for a stalled encoder before it is given up on and restarted (5 s).
    private let queueLimit = 50
    /// How many chunks the writer waits for before it writes (under the lock).
    private var batch = 1

    public init(
        format: Format, bitrate: Bitrate = .standard, ffmpeg: String = "/usr/bin/ffmpeg", output: @escaping @Sendable ([UInt8]) -> Void
    ) {
        outputArguments = format.arguments(bitrate: bitrate) + ["-flush_packets", "1", "pipe:1"]
        hls = nil
        self.ffmpeg = ffmpeg
        self.output = output
        onLaunch = {}
        // A write to an encoder that died must be an error, not the end of the process.
        signal(SIGPIPE, SIG_IGN)
    }

    /// An HLS encoder: AAC in MPEG-TS segments of about `segmentSeconds` and a live playlist
    /// (`live.m3u8`) in `directory`, each segment stamped with EXT-X-PROGRAM-DATE-TIME. Every start
    /// (a restart, another machine's playout taking over) begins a new playlist numbered from the
    /// seconds since 1970, which no playlist counting one per segment of a second or more since it
    /// began can have reached: a player's media sequence never goes back and no number is bound
    /// to another segment. (ffmpeg's append_list would renumber the old segments from that start.)
    /// Earlier runs' segments (also another process's, before a restart) are removed 28 s after a
    /// run's first segment is listed (ffmpeg deletes only its own): not sooner, since a player that
    /// read the last playlist listing them may still fetch them (`watchFirstSegment`).
    public init(hlsDirectory directory: String, segmentSeconds: Int = 4, bitrate: Bitrate = .standard, ffmpeg: String = "/usr/bin/ffmpeg") {
        outputArguments = []
        hls = (directory, segmentSeconds, bitrate)
        self.ffmpeg = ffmpeg
        self.output = { _ in }
        onLaunch = {}
        signal(SIGPIPE, SIG_IGN)
    }

    /// Queues bus audio for this encoder; never waits (the bus must not stall for one output).
    public func write(_ pcm: [UInt8]) {
        condition.lock()
        defer { condition.unlock() }
        receivedFrames += Int64(pcm.count / PCM.bytesPerFrame)
        guard !stopped else { return }
        if !started {
            started = true
            let thread = Thread { [self] in run() }
            thread.name = "cadenza.encoder.in"
            thread.start()
        }
        if chunks.count >= queueLimit {
            // The encoder stopped taking audio (a stalled network push): drop what waits and
            // restart it, rather than hold the bus or memory.
            chunks.removeAll()
            process?.terminate()
        }
        chunks.append(pcm)
        if chunks.count >= batch { condition.signal() }
    }

    /// Ends the encoder by the end of its input (the writer closes it): ffmpeg then writes the
    /// rest of its last segment and its playlist and exits. A signal would make ffmpeg abandon
    /// what it is writing (two left an HLS playlist truncated to nothing, served until the next
    /// run's first segment), so one comes only if ffmpeg has not exited 2 s later (a stalled push
    /// holds its input full).
    public func stop() {
        condition.lock()
        stopped = true
        chunks.removeAll()
        condition.broadcast()
        condition.unlock()
        DispatchQueue.global().asyncAfter(deadline: .now() + 2) { [weak self] in
            guard let self else { return }
            condition.withLock { if process?.isRunning == true { process?.terminate() } }
        }
    }

    /// Whether its ffmpeg is gone (after `stop`: ffmpeg writes the last of its playlist, or
    /// leaves an Icecast mount, as it exits).
    public var exited: Bool { condition.withLock { process?.isRunning != true } }

    /// The writer thread: launches ffmpeg when due (with backoff after failures) and feeds it.
    private func run() {
        while true {
            condition.lock()
            // A running encoder is fed a few chunks at a time (ffmpeg wakes three times a second
            // rather than ten); a new one at once, so a listener hears it start without waiting.
            batch = input != nil && Date().timeIntervalSince(launchedAt) > 5 ? 3 : 1
            let deadline = Date().addingTimeInterval(1)
            while chunks.count < batch && !stopped && condition.wait(until: deadline) {}
            batch = 1  // past the deadline: whatever comes next is written at once
            while chunks.isEmpty && !stopped { condition.wait() }
            if stopped {
                condition.unlock()
                break
            }
            let taken = chunks
            chunks.removeAll(keepingCapacity: true)
            let takenBytes = taken.reduce(0) { $0 + $1.count }
            let chunkFrame = receivedFrames - Int64(takenBytes / PCM.bytesPerFrame)
            condition.unlock()
            // Joined by whole-chunk copies outside the lock (`joined()` copied byte by byte: a
            // tenth of the server's CPU per station).
            var chunk = taken.count == 1 ? taken[0] : []
            if taken.count > 1 {
                chunk.reserveCapacity(takenBytes)
                for piece in taken { chunk.append(contentsOf: piece) }
            }
            if input == nil {
                guard Date() >= nextLaunch else { continue }  // backing off: this audio is dropped
                launch(firstFrame: chunkFrame)
            }
            guard let input else { continue }
            do {
                try input.write(contentsOf: chunk)
                if Date().timeIntervalSince(launchedAt) > 10 { backoff = 1 }
            } catch {
                fail()
            }
        }
        try? input?.close()
    }

    private func fail() {
        try? input?.close()
        input = nil
        condition.withLock {
            process?.terminate()
            process = nil
        }
        restarts += 1
        nextLaunch = Date().addingTimeInterval(backoff)
        backoff = min(backoff * 2, 30)
    }

    private func launch(firstFrame: Int64) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ffmpeg)
        var arguments = outputArguments
        var first: Int64 = 0
        if let hls {
            // Numbered from the seconds since 1970, and past any number an earlier run here used
            // (a run is recorded only once its ffmpeg started, at `launchedAt`).
            first = Int64(Date().timeIntervalSince1970)
            if let previous = condition.withLock({ timelines.last }) {
                let seconds = min(max(0, Date().timeIntervalSince(launchedAt)), 1e9)
                first = max(first, previous.firstSequence + Int64(seconds / Double(max(1, hls.segmentSeconds))) + 2)
            }
            arguments = Self.hlsArguments(directory: hls.directory, segmentSeconds: hls.segmentSeconds, bitrate: hls.bitrate, firstSequence: first)
        }
        process.arguments =
            ["-hide_banner", "-loglevel", "error", "-nostdin", "-f", "s16le", "-ar", "44100", "-ac", "2", "-i", "pipe:0"] + arguments
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch {
            fail()
            return
        }
        condition.withLock {
            self.process = process
            if hls != nil {
                timelines.append(HLSTimeline(firstSequence: first, firstFrame: firstFrame, firstProgramDateMs: nil))
                if timelines.count > 8 { timelines.removeFirst(timelines.count - 8) }
            }
        }
        input = stdin.fileHandleForWriting
        launchedAt = Date()
        let reader = stdout.fileHandleForReading
        let output = self.output
        let launched = launchedAt
        let thread = Thread {
            while true {
                let data = reader.availableData
                if data.isEmpty { break }
                output([UInt8](data))
                // ffmpeg writes each 26 ms frame alone: once the stream is going, reading a few
                // at a time wakes this thread ten times a second rather than forty.
                if Date().timeIntervalSince(launched) > 5 { usleep(100_000) }
            }
            try? reader.close()
        }
        thread.name = "cadenza.encoder.out"
        thread.start()
        if let hls { watchFirstSegment(first, directory: hls.directory) }
        onLaunch()
    }

    /// Removes the segments numbered below `first` (earlier runs' own: every run is numbered past them).
    static func removeSegments(before first: Int64, in directory: String) {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
            guard let sequence = segmentSequence(name), sequence < first else { continue }
            try? FileManager.default.removeItem(atPath: directory + "/" + name)
        }
    }

    /// Segments in the live playlist.
    static let hlsListSize = 6

    static func hlsArguments(directory: String, segmentSeconds: Int, bitrate: Bitrate, firstSequence: Int64) -> [String] {
        [
            "-c:a", "aac", "-b:a", bitrate.ffmpeg, "-f", "hls", "-hls_time", String(segmentSeconds), "-hls_list_size", String(hlsListSize),
            "-start_number", String(firstSequence),
            "-hls_flags", "delete_segments+program_date_time+independent_segments+temp_file+omit_endlist+discont_start",
            "-hls_segment_type", "mpegts", "-hls_segment_filename", directory + "/seg_%05d.ts", directory + "/live.m3u8",
        ]
    }

    /// Where the HLS encoder's recent runs sit on the bus (each placed once its first segment
    /// is listed), oldest first: a playlist can list segments of the run before the newest.
    public var hlsTimelines: [HLSTimeline] { condition.withLock { timelines } }

    /// Reads ffmpeg's stamp for run `first`'s first segment from the playlist, which lists it a
    /// segment's length after the start (and for six segments): until then that run's stamps
    /// are served as ffmpeg wrote them. Earlier runs' segments go once the new playlist has
    /// replaced every one that listed them for as long as RFC 8216 (6.2.2) keeps a removed
    /// segment available: its duration plus the longest playlist's (7 segments' length).
    private func watchFirstSegment(_ first: Int64, directory: String) {
        let keep = Double((Self.hlsListSize + 1) * max(1, hls?.segmentSeconds ?? 4))
        let thread = Thread { [weak self] in
            var stamped: Date?
            for _ in 0..<Int(keep * 4) + 240 {
                usleep(250_000)
                guard let self, self.condition.withLock({ !self.stopped && self.timelines.last?.firstSequence == first }) else { return }
                guard let text = try? String(contentsOfFile: directory + "/live.m3u8", encoding: .utf8), let playlist = HLSPlaylist(text)
                else { continue }
                if stamped == nil, let segment = playlist.segments.first(where: { $0.sequence == first }) {
                    stamped = Date()
                    self.condition.withLock {
                        if let index = self.timelines.lastIndex(where: { $0.firstSequence == first }) {
                            self.timelines[index].firstProgramDateMs = segment.programDateMs
                        }
                    }
                }
                if let stamped, Date().timeIntervalSince(stamped) >= keep {
                    Self.removeSegments(before: first, in: directory)
                    return
                }
            }
        }
        thread.name = "cadenza.encoder.hls"
        thread.start()
    }
}

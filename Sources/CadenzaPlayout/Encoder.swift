import Foundation

/// One long-lived ffmpeg turning bus PCM into a listener format (MP3 or AAC in ADTS), its
/// output handed to `output` as it comes. A dead encoder is restarted on the next write: one
/// output failing never stops the bus or the other outputs.
public final class Encoder: @unchecked Sendable {
    public enum Format: String, Sendable {
        case mp3, aac

        public var contentType: String { self == .mp3 ? "audio/mpeg" : "audio/aac" }

        var arguments: [String] {
            switch self {
            case .mp3: ["-c:a", "libmp3lame", "-b:a", "128k", "-f", "mp3"]
            case .aac: ["-c:a", "aac", "-b:a", "128k", "-f", "adts"]
            }
        }
    }

    private let outputArguments: [String]
    private let ffmpeg: String
    private let output: @Sendable ([UInt8]) -> Void
    private let lock = NSLock()
    private var process: Process?
    private var input: FileHandle?
    public private(set) var restarts = 0

    public init(format: Format, ffmpeg: String = "/usr/bin/ffmpeg", output: @escaping @Sendable ([UInt8]) -> Void) {
        outputArguments = format.arguments + ["-flush_packets", "1", "pipe:1"]
        self.ffmpeg = ffmpeg
        self.output = output
        // A write to an encoder that died must be an error, not the end of the process.
        signal(SIGPIPE, SIG_IGN)
    }

    /// An HLS encoder: AAC in MPEG-TS segments of about `segmentSeconds` and a live playlist
    /// (`live.m3u8`) in `directory`, each segment stamped with EXT-X-PROGRAM-DATE-TIME. After a
    /// restart the playlist is appended to, so its media sequence never goes back.
    public init(hlsDirectory directory: String, segmentSeconds: Int = 4, ffmpeg: String = "/usr/bin/ffmpeg") {
        outputArguments = [
            "-c:a", "aac", "-b:a", "128k", "-f", "hls", "-hls_time", String(segmentSeconds), "-hls_list_size", "6",
            "-hls_flags", "delete_segments+program_date_time+independent_segments+temp_file+append_list+omit_endlist+discont_start",
            "-hls_segment_type", "mpegts", "-hls_segment_filename", directory + "/seg_%05d.ts", directory + "/live.m3u8",
        ]
        self.ffmpeg = ffmpeg
        self.output = { _ in }
        signal(SIGPIPE, SIG_IGN)
    }

    public func write(_ pcm: [UInt8]) {
        lock.lock()
        defer { lock.unlock() }
        if input == nil { launch() }
        guard let input else { return }
        do {
            try input.write(contentsOf: pcm)
        } catch {
            self.input = nil
            process?.terminate()
            process = nil
            restarts += 1
        }
    }

    public func stop() {
        lock.withLock {
            try? input?.close()
            input = nil
            process?.terminate()
            process = nil
        }
    }

    private func launch() {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ffmpeg)
        process.arguments =
            ["-hide_banner", "-loglevel", "error", "-nostdin", "-f", "s16le", "-ar", "44100", "-ac", "2", "-i", "pipe:0"] + outputArguments
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return }
        self.process = process
        self.input = stdin.fileHandleForWriting
        let reader = stdout.fileHandleForReading
        let output = self.output
        let thread = Thread {
            while true {
                let data = reader.availableData
                if data.isEmpty { break }
                output([UInt8](data))
            }
            try? reader.close()
        }
        thread.name = "cadenza.encoder"
        thread.start()
    }
}

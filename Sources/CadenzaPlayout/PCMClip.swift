import Foundation

/// A short stretch of audio decoded whole into bus PCM: a station's fallback, looped when
/// nothing else can air. Held in memory, so it airs while the library's storage is away.
public enum PCMClip {
    /// How long the ends fade, so the loop's join does not click.
    static let edgeFadeMs = 20

    /// The first `maxSeconds` of the file at `path` as bus PCM, its ends faded; nil when ffmpeg
    /// cannot read it or it gives less than half a second.
    /// `deadline`: seconds after which ffmpeg is killed (a file on storage that hangs).
    public static func decode(path: String, ffmpeg: String, maxSeconds: Int, deadline: Double = 20) -> [UInt8]? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ffmpeg)
        process.arguments = [
            "-hide_banner", "-loglevel", "error", "-nostdin", "-t", String(max(1, maxSeconds)), "-i", path, "-vn", "-map_metadata", "-1",
            "-f", "s16le", "-ac", "2", "-ar", String(PCM.sampleRate), "pipe:1",
        ]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let pid = process.processIdentifier
        let watchdog = DispatchWorkItem { kill(pid, SIGKILL) }
        DispatchQueue.global().asyncAfter(deadline: .now() + deadline, execute: watchdog)
        defer { watchdog.cancel() }
        // Read to the end, but never past the limit (ffmpeg's -t bounds it; this bounds a misbehaving one).
        let limit = (max(1, maxSeconds) + 1) * PCM.bytesPerSecond
        var pcm: [UInt8] = []
        let handle = pipe.fileHandleForReading
        while true {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            pcm.append(contentsOf: chunk.prefix(limit - pcm.count))
            if pcm.count >= limit {
                // Killed, not asked: one blocked writing to the pipe would never see a polite signal.
                kill(pid, SIGKILL)
                break
            }
        }
        process.waitUntilExit()
        guard (process.terminationReason == .exit && process.terminationStatus == 0) || pcm.count >= limit else { return nil }
        pcm.removeLast(pcm.count % PCM.bytesPerFrame)
        guard pcm.count >= PCM.bytesPerSecond / 2 else { return nil }
        fadeEdges(&pcm)
        return pcm
    }

    /// A short linear fade in at the start and out at the end.
    static func fadeEdges(_ pcm: inout [UInt8]) {
        let frames = pcm.count / PCM.bytesPerFrame
        let length = min(frames / 2, PCM.sampleRate * edgeFadeMs / 1_000)
        guard length > 0 else { return }
        pcm.withUnsafeMutableBytes { raw in
            let samples = raw.bindMemory(to: Int16.self)
            for frame in 0..<length {
                let scale = Double(frame) / Double(length)
                for channel in 0..<PCM.channels {
                    let head = frame * PCM.channels + channel
                    let tail = (frames - 1 - frame) * PCM.channels + channel
                    samples[head] = Int16(Double(Int16(littleEndian: samples[head])) * scale).littleEndian
                    samples[tail] = Int16(Double(Int16(littleEndian: samples[tail])) * scale).littleEndian
                }
            }
        }
    }
}

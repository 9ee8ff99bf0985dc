import Foundation

/// Real audio files for tests, made with ffmpeg: seconds of sine with the tags asked for.
public enum AudioFixtures {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public static func temporaryDirectory(_ label: String = "fixtures") throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cadenza-\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @discardableResult
    public static func ffmpeg(_ args: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y"] + args
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Codec arguments by file extension.
    public static func codec(for path: String) -> [String] {
        switch (path as NSString).pathExtension.lowercased() {
        case "mp3": return ["-c:a", "libmp3lame", "-b:a", "128k", "-id3v2_version", "3"]
        case "flac": return ["-c:a", "flac"]
        case "ogg": return ["-c:a", "libvorbis"]
        case "opus": return ["-c:a", "libopus"]
        case "m4a": return ["-c:a", "aac"]
        case "wav": return ["-c:a", "pcm_s16le"]
        case "aiff": return ["-c:a", "pcm_s16be", "-write_id3v2", "1"]
        case "wv": return ["-c:a", "wavpack"]
        default: return []
        }
    }

    /// Writes an audio file at `path` (directories are created).
    @discardableResult
    public static func audio(
        at path: String, metadata: [String: String], seconds: Double = 1, frequency: Int = 440,
        cover: String? = nil
    ) throws -> String {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        var args = ["-f", "lavfi", "-i", "sine=frequency=\(frequency):duration=\(seconds)"]
        if let cover { args += ["-i", cover, "-map", "0:a", "-map", "1:v", "-c:v", "copy", "-disposition:v", "attached_pic"] }
        args += codec(for: path)
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) { args += ["-metadata", "\(key)=\(value)"] }
        args.append(path)
        guard try ffmpeg(args) == 0 else { throw Failure(description: "ffmpeg could not write \(path)") }
        return path
    }

    /// A small solid-colour JPEG.
    @discardableResult
    public static func jpeg(at path: String, size: Int = 64, color: String = "red") throws -> String {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        guard try ffmpeg(["-f", "lavfi", "-i", "color=c=\(color):s=\(size)x\(size)", "-frames:v", "1", path]) == 0 else {
            throw Failure(description: "ffmpeg could not write \(path)")
        }
        return path
    }
}

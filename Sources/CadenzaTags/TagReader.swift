import CTagLib
import Foundation

/// Reads tags and stream properties with TagLib.
public enum TagReader {
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case notAudio
        case noAudioStream
        case unreadable(String)

        public var description: String {
            switch self {
            case .notAudio: return "not a readable audio file"
            case .noAudioStream: return "no audio stream found (truncated or damaged file)"
            case .unreadable(let why): return why
            }
        }
    }

    /// `size`, when the caller knows it (a scan has just listed the folder), saves a stat call.
    public static func read(path: String, size: Int64? = nil) throws -> AudioTags {
        guard access(path, R_OK) == 0 else { throw Failure.unreadable("permission denied") }
        var info = ctl_info()
        let status = ctl_read(path, &info)
        defer { ctl_free(&info) }
        if status == -1 { throw Failure.notAudio }
        var properties: [String: [String]] = [:]
        if let raw = info.properties {
            // Split on the separator bytes, not on Characters: both are ASCII, so every piece is
            // whole UTF-8, and a scan reads tens of properties per file.
            for record in String(cString: raw).utf8.split(separator: 0x1E) {
                guard let separator = record.firstIndex(of: 0x1F) else { continue }
                let value = Substring(record[record.index(after: separator)...])
                // Garbage frames can be megabytes long; nothing Cadenza shows needs more than this.
                properties[String(Substring(record[..<separator])), default: []].append(String(value.prefix(100_000)))
            }
        }
        var tags = AudioTags(properties: properties)
        tags.format = info.format.map { String(cString: $0) } ?? "unknown"
        tags.hasEmbeddedPicture = info.has_picture != 0
        if status == -2 { throw Failure.noAudioStream }
        tags.durationMs = plausibleDurationMs(Int(info.duration_ms), size: size.map { Int(clamping: $0) } ?? fileSize(path))
        tags.bitrateKbps = min(max(Int(info.bitrate_kbps), 0), 100_000)
        tags.sampleRate = min(max(Int(info.sample_rate), 0), 1_000_000)
        tags.channels = min(max(Int(info.channels), 0), 255)
        if tags.durationMs <= 0 && tags.sampleRate <= 0 { throw Failure.noAudioStream }
        return tags
    }

    /// A header can claim any duration (a forged Xing frame count says days). No real stream is
    /// below 4 kbit/s, so a file of `size` bytes plays at most `size / 500` seconds: a claim past
    /// that is cut to it, and every later use (content-length estimates, stats) stays bounded.
    static func plausibleDurationMs(_ claimed: Int, size: Int) -> Int {
        guard claimed > 0 else { return 0 }
        let limit = size.multipliedReportingOverflow(by: 2).overflow ? Int.max : size * 2  // size / 500 s = size * 2 ms
        return min(claimed, limit)
    }

    /// The file's length in bytes (0 when it cannot be opened).
    static func fileSize(_ path: String) -> Int {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return 0 }
        defer { close(descriptor) }
        return Int(max(lseek(descriptor, 0, SEEK_END), 0))
    }

    /// The embedded front cover (or first picture), with its MIME type.
    public static func embeddedPicture(path: String) -> (data: Data, mime: String)? {
        var bytes: UnsafeMutablePointer<UInt8>?
        var length = 0
        var mime: UnsafeMutablePointer<CChar>?
        guard ctl_read_picture(path, &bytes, &length, &mime) == 0, let bytes else { return nil }
        defer {
            free(bytes)
            free(mime)
        }
        let data = Data(bytes: bytes, count: length)
        let declared = mime.map { String(cString: $0) } ?? ""
        return (data, ImageSniffer.mime(data) ?? declared)
    }
}

/// Image types by their first bytes, not by what a tag claims.
public enum ImageSniffer {
    public static func mime(_ data: Data) -> String? {
        let b = [UInt8](data.prefix(12))
        if b.count >= 3, b[0] == 0xFF, b[1] == 0xD8, b[2] == 0xFF { return "image/jpeg" }
        if b.count >= 8, b[0...7] == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] { return "image/png" }
        if b.count >= 12, b[0...3] == [0x52, 0x49, 0x46, 0x46], b[8...11] == [0x57, 0x45, 0x42, 0x50] { return "image/webp" }
        if b.count >= 6, b[0...2] == [0x47, 0x49, 0x46] { return "image/gif" }
        return nil
    }
}

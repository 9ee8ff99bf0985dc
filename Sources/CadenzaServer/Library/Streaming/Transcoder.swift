import Foundation
import NIOConcurrencyHelpers
import Vapor

/// Transcodes with ffmpeg (an argument array, never a shell string), streaming its output to the
/// client and, for whole-track transcodes, into a size-bounded on-disk cache so the next play is
/// a plain file with Range support.
enum Transcoder {
    enum Format: String, CaseIterable, Sendable {
        case mp3, opus, aac

        var mime: String {
            switch self {
            case .mp3: return "audio/mpeg"
            case .opus: return "audio/ogg"
            case .aac: return "audio/aac"
            }
        }

        var fileExtension: String {
            switch self {
            case .mp3: return "mp3"
            case .opus: return "opus"
            case .aac: return "aac"
            }
        }

        /// An upper estimate of a transcode's size, for players that need a length up front: the
        /// bitrate's worth plus each container's framing (an ID3/Xing header for MP3, a 7-byte header
        /// per 1,024-sample ADTS frame, Ogg pages and libopus's VBR overshoot), with room to spare.
        /// Seconds are bounded to 48 hours first (a stored duration is only what a header claimed).
        func estimatedBytes(seconds claimed: Double, kbps: Int) -> Int {
            let seconds = claimed.isFinite ? min(max(claimed, 0), 172_800) : 0
            let payload = seconds * Double(kbps) * 1000 / 8
            switch self {
            case .mp3: return Int(payload * 1.03) + 4096
            case .aac: return Int(payload * 1.03 + seconds * 7 * 48_000 / 1024) + 4096
            case .opus: return Int(payload * 1.12) + 8192
            }
        }

        var codecArguments: [String] {
            switch self {
            case .mp3: return ["-c:a", "libmp3lame", "-f", "mp3"]
            case .opus: return ["-c:a", "libopus", "-f", "ogg"]
            case .aac: return ["-c:a", "aac", "-f", "adts"]
            }
        }

        /// Which stored formats already are this one (no transcode needed at an acceptable bitrate).
        func matches(storedFormat: String?) -> Bool {
            switch self {
            case .mp3: return storedFormat == "mp3"
            case .opus: return storedFormat == "opus"
            case .aac: return storedFormat == "m4a" || storedFormat == "aac"
            }
        }
    }

    struct Request: Sendable {
        var source: String
        var format: Format
        var bitrateKbps: Int
        var offsetSeconds: Double
    }

    static func arguments(for request: Request, output: String = "pipe:1") -> [String] {
        var args = ["-hide_banner", "-loglevel", "error", "-nostdin"]
        if request.offsetSeconds > 0 { args += ["-ss", String(format: "%.3f", request.offsetSeconds)] }
        args += ["-i", request.source, "-map", "0:a:0", "-vn", "-map_metadata", "-1"]
        args += request.format.codecArguments
        args += ["-b:a", "\(request.bitrateKbps)k", output]
        return args
    }

    static func cacheDirectory(_ settings: Settings) -> URL {
        settings.dataDirectory.appendingPathComponent("transcodes", isDirectory: true)
    }

    static func cacheURL(fileID: Int64, version: String, request: Request, settings: Settings) -> URL {
        cacheDirectory(settings).appendingPathComponent("\(fileID)-\(version)-\(request.bitrateKbps).\(request.format.fileExtension)")
    }

    /// Starts ffmpeg and returns a response streaming its output. A client that goes away stops
    /// the process; a complete whole-track transcode is kept in the cache.
    /// With `exactLength` (Subsonic `estimateContentLength`), the response declares that length and
    /// is cut or padded with silence-like zero bytes to match it, as players that need a length expect.
    /// A place in the ffmpeg pool for the caller: it waits up to 10 s behind others, then 503.
    /// One user cannot hold more than their share (a client opening 60 streams gets 3).
    static func place(for req: Vapor.Request) async throws -> OpenLimits.Hold {
        let settings = try req.application.settings
        let limits = try req.application.cadenza.state(TranscodeLimits.self).limits
        var caps = [OpenLimits.Cap(key: "all", limit: settings.transcodeConcurrency)]
        if let user = req.auth.get(Principal.self) { caps.append(.init(key: "user:\(user.userID)", limit: settings.transcodesPerUser)) }
        guard let hold = await limits.take(caps, waiting: .seconds(10)) else {
            throw APIError(
                status: .serviceUnavailable, code: "transcoder_busy",
                message: "Every transcoder place is taken (or you already use your share); try again shortly.")
        }
        return hold
    }

    static func stream(
        _ request: Request, cacheTo cacheURL: URL?, exactLength: Int? = nil, hold: OpenLimits.Hold, on req: Vapor.Request
    ) throws -> Response {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ffmpegPath)
        process.arguments = arguments(for: request)
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let handle = stdout.fileHandleForReading
        let partial = cacheURL.map { $0.deletingLastPathComponent().appendingPathComponent(".\(UUID().uuidString).part") }
        if let partial {
            try? FileManager.default.createDirectory(at: partial.deletingLastPathComponent(), withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: partial.path, contents: nil)
        }
        let cacheWriter = partial.flatMap { try? FileHandle(forWritingTo: $0) }
        let settings = try req.application.settings
        let logger = req.logger
        let response = Response(status: .ok)
        response.headers.contentType = HTTPMediaType(type: "audio", subType: String(request.format.mime.dropFirst(6)))
        response.headers.replaceOrAdd(name: "Accept-Ranges", value: "none")
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        let body: @Sendable (any AsyncBodyStreamWriter) async throws -> Void = { writer in
            var complete = false
            var sent = 0
            do {
                while true {
                    let chunk = await runBlocking { try? handle.read(upToCount: 64 * 1024) }
                    guard let chunk, !chunk.isEmpty else { break }
                    try cacheWriter?.write(contentsOf: chunk)
                    var outgoing = chunk
                    if let exactLength { outgoing = chunk.prefix(max(0, exactLength - sent)) }
                    if !outgoing.isEmpty {
                        try await writer.write(.buffer(ByteBuffer(bytes: outgoing)))
                        sent += outgoing.count
                    }
                }
                await runBlocking { process.waitUntilExit() }
                complete = process.terminationStatus == 0
                if let exactLength, sent < exactLength {
                    // In bounded pieces: an estimate past the real output must never become one allocation.
                    let zeros = ByteBuffer(repeating: 0, count: 64 * 1024)
                    while sent < exactLength {
                        let piece = min(zeros.readableBytes, exactLength - sent)
                        try await writer.write(.buffer(zeros.getSlice(at: 0, length: piece) ?? zeros))
                        sent += piece
                    }
                }
                try await writer.write(.end)
            } catch {
                // The client went away: stop ffmpeg now rather than transcoding to nobody.
                logger.debug("transcode stopped", metadata: ["reason": .string("\(error)")])
                await stop(process, output: handle)
                try? await writer.write(.end)
            }
            try? cacheWriter?.close()
            hold.release()
            if let partial, let cacheURL {
                if complete {
                    try? FileManager.default.moveItem(at: partial, to: cacheURL)
                    await runBlocking { evictIfNeeded(settings) }
                } else {
                    try? FileManager.default.removeItem(at: partial)
                }
            }
        }
        if let exactLength {
            response.headers.remove(name: "Accept-Ranges")
            response.body = .init(asyncStream: body, count: exactLength)
        } else {
            response.body = .init(asyncStream: body)
        }
        return response
    }

    /// SIGTERM alone can leave ffmpeg blocked writing into a pipe nobody reads: close our end so
    /// its write fails, escalate to SIGKILL if needed, and reap it so no zombie stays behind.
    static func stop(_ process: Process, output: FileHandle) async {
        if process.isRunning { process.terminate() }
        try? output.close()
        let pid = process.processIdentifier
        await runBlocking {
            for _ in 0..<20 where process.isRunning { usleep(50_000) }
            if process.isRunning { kill(pid, SIGKILL) }
            process.waitUntilExit()
        }
    }

    static var ffmpegPath: String {
        ["/usr/bin/ffmpeg", "/usr/local/bin/ffmpeg"].first { FileManager.default.isExecutableFile(atPath: $0) } ?? "/usr/bin/ffmpeg"
    }

    private static let evicting = NIOLockedValueBox(false)

    /// Least-recently-used eviction: cache hits touch the file's modification time.
    static func evictIfNeeded(_ settings: Settings) {
        guard
            evicting.withLockedValue({ busy in
                defer { busy = true }; return !busy
            })
        else { return }
        defer { evicting.withLockedValue { $0 = false } }
        let dir = cacheDirectory(settings)
        let keys: [URLResourceKey] = [.fileSizeKey, .contentModificationDateKey]
        guard let files = try? FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: keys) else { return }
        var entries = files.filter { !$0.lastPathComponent.hasPrefix(".") }.compactMap { url -> (URL, Int64, Date)? in
            guard let values = try? url.resourceValues(forKeys: Set(keys)) else { return nil }
            return (url, Int64(values.fileSize ?? 0), values.contentModificationDate ?? .distantPast)
        }
        var total = entries.reduce(0) { $0 + $1.1 }
        guard total > settings.transcodeCacheBytes else { return }
        entries.sort { $0.2 < $1.2 }
        for (url, size, _) in entries where total > settings.transcodeCacheBytes {
            try? FileManager.default.removeItem(at: url)
            total -= size
        }
    }
}

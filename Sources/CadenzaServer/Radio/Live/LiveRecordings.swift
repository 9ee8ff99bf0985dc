import Foundation
import Logging
import SQLKit
import Vapor

/// Where a station's recorded live sets go: `MEDIA/recordings/STATION-ID` (by id: a slug may be
/// taken again by another owner's station), a folder of the library "STATION – live sets"
/// (private to the station's owner; the instance's own stations' sets go to a public one),
/// found by that folder and scanned as each set ends. Each set is tagged as it is stored: the DJ as
/// artist, the station's live sets as album, the set's date and time in its title.
enum LiveRecordings {
    static let directoryName = "recordings"

    static func directory(mediaDirectory: URL, stationID: Int64) -> URL {
        mediaDirectory.appendingPathComponent(directoryName, isDirectory: true).appendingPathComponent(String(stationID), isDirectory: true)
    }

    /// One set's library work at a time: two sets ending together make one library, not two.
    private static let libraryLock = AsyncSerial()

    /// A recorder for a set starting now, when the station records its live sets.
    static func recorder(for station: StationRecord, mediaDirectory: URL, logger: Logger) async -> LiveRecorder? {
        guard station.recordLive else { return nil }
        let incoming = directory(mediaDirectory: mediaDirectory, stationID: station.id).appendingPathComponent(".incoming", isDirectory: true)
        return await runBlocking { LiveRecorder(directory: incoming, name: "\(UUID().uuidString).part", logger: logger) }
    }

    /// After the set: tagged and moved next to the other sets (in the format the DJ sent,
    /// copied, not re-encoded), then the library scans it in.
    static func store(_ recorder: LiveRecorder, station: StationRecord, dj: String, app: Application) async {
        let bytes = await recorder.finish()
        let logger = app.logger
        let incoming = recorder.file
        guard bytes > 0 else {
            await runBlocking { try? FileManager.default.removeItem(at: incoming) }
            return
        }
        let folder = incoming.deletingLastPathComponent().deletingLastPathComponent()
        let zone = TimeZone(identifier: station.timeZone) ?? .gmt
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let when = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: recorder.startedAt)
        let stamp = String(format: "%04d-%02d-%02d %02d.%02d", when.year ?? 0, when.month ?? 0, when.day ?? 0, when.hour ?? 0, when.minute ?? 0)
        let seconds = String(format: "%02d", calendar.component(.second, from: recorder.startedAt))
        let ffmpeg = Transcoder.ffmpegPath
        let stored = await runBlocking { () -> URL? in
            guard let format = probeFormat(incoming, ffmpeg: ffmpeg) else { return nil }
            let safeDJ = String(dj.filter { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }.prefix(64))
            // Never over another set: the second it began, and a number if even that is taken.
            var target = folder.appendingPathComponent("\(stamp).\(seconds) \(safeDJ).\(format.ext)")
            var n = 2
            while FileManager.default.fileExists(atPath: target.path), n < 1000 {
                target = folder.appendingPathComponent("\(stamp).\(seconds) \(safeDJ) \(n).\(format.ext)")
                n += 1
            }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: ffmpeg)
            // An argument array: the DJ's name and the station's never pass through a shell.
            process.arguments = [
                "-hide_banner", "-loglevel", "error", "-nostdin", "-n", "-f", format.demuxer, "-i", incoming.path, "-map", "0:a", "-c", "copy",
                "-metadata", "title=Live set \(stamp)", "-metadata", "artist=\(dj)", "-metadata", "album=\(station.name) live sets",
                "-metadata", "date=\(when.year ?? 0)", "-f", format.muxer, target.path,
            ]
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            guard (try? process.run()) != nil else { return nil }
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { return nil }
            try? FileManager.default.removeItem(at: incoming)
            return target
        }
        guard let stored else {
            // Kept as it came (in the hidden .incoming folder) for an administrator to look at.
            logger.warning("station \(station.slug): the live set of \(dj) could not be tagged; kept as \(incoming.path)")
            return
        }
        do {
            try await libraryLock.run {
                let db = app.sql
                let library: Int64
                if let known = try await Libraries.libraryID(ofFolder: folder.path, on: db) {
                    library = known
                } else {
                    library = try await Libraries.create(
                        name: "\(station.name) – live sets", ownerID: station.ownerID, visibility: station.ownerID == nil ? .public : .private,
                        kind: .folders, on: db
                    ).id
                    _ = try await Libraries.addFolder(libraryID: library, path: folder.path, on: db)
                }
                try await Libraries.enqueueScan(libraryID: library, full: false, on: db)
            }
            logger.info("station \(station.slug): the live set of \(dj) is in \(stored.path)")
        } catch {
            logger.warning("station \(station.slug): the live set is on disk, not yet in a library: \(String(describing: error))")
        }
    }

    /// What ffmpeg says the bytes are, and the extension and muxer to store them under.
    static func probeFormat(_ file: URL, ffmpeg: String) -> (demuxer: String, muxer: String, ext: String)? {
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: ffmpeg.hasSuffix("ffmpeg") ? String(ffmpeg.dropLast(6)) + "ffprobe" : "/usr/bin/ffprobe")
        probe.arguments = ["-v", "error", "-show_entries", "format=format_name", "-of", "csv=p=0", file.path]
        let pipe = Pipe()
        probe.standardOutput = pipe
        probe.standardError = FileHandle.nullDevice
        probe.standardInput = FileHandle.nullDevice
        guard (try? probe.run()) != nil else { return nil }
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile().prefix(200), as: UTF8.self)
        probe.waitUntilExit()
        switch out.trimmingCharacters(in: .whitespacesAndNewlines) {
        case "mp3": return ("mp3", "mp3", "mp3")
        case "ogg": return ("ogg", "ogg", "ogg")
        case "aac": return ("aac", "adts", "aac")
        case "flac": return ("flac", "flac", "flac")
        case "matroska,webm": return ("matroska", "matroska", "mka")
        default: return nil
        }
    }
}

/// Runs async work one piece at a time, in the order asked.
actor AsyncSerial {
    private var tail: Task<Void, Never>?

    func run<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) async throws -> T {
        let previous = tail
        let task = Task { () -> Result<T, any Error> in
            await previous?.value
            do { return .success(try await work()) } catch { return .failure(error) }
        }
        tail = Task { _ = await task.value }
        return try await task.value.get()
    }
}

import Foundation
import Logging
import SQLKit
import Vapor

/// Where a station's recorded live sets go: `DATA/recordings/SLUG`, a folder of the library
/// "STATION – live sets" (private to the station's owner; the instance's own stations' sets go
/// to a public one), scanned as each set ends. Each set is tagged as it is stored: the DJ as
/// artist, the station's live sets as album, the set's date and time in its title.
enum LiveRecordings {
    static func directory(dataDirectory: URL, slug: String) -> URL {
        dataDirectory.appendingPathComponent("recordings", isDirectory: true).appendingPathComponent(slug, isDirectory: true)
    }

    /// A recorder for a set starting now, when the station records its live sets.
    static func recorder(for station: StationRecord, dj: String, dataDirectory: URL, logger: Logger) -> LiveRecorder? {
        guard station.recordLive else { return nil }
        let stamp = Clock.nowMillis()
        let safeDJ = String(dj.filter { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }.prefix(64))
        return LiveRecorder(
            directory: directory(dataDirectory: dataDirectory, slug: station.slug).appendingPathComponent(".incoming", isDirectory: true),
            name: "\(stamp)-\(safeDJ).part", logger: logger)
    }

    /// After the set: tagged and moved next to the other sets (in the format the DJ sent,
    /// copied, not re-encoded), then the library scans it in.
    static func store(_ recorder: LiveRecorder, station: StationRecord, dj: String, app: Application) async {
        let bytes = await recorder.finish()
        let logger = app.logger
        let incoming = recorder.file
        defer { try? FileManager.default.removeItem(at: incoming) }
        guard bytes > 0 else { return }
        let folder = incoming.deletingLastPathComponent().deletingLastPathComponent()
        let zone = TimeZone(identifier: station.timeZone) ?? .gmt
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let when = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: recorder.startedAt)
        let stamp = String(format: "%04d-%02d-%02d %02d.%02d", when.year ?? 0, when.month ?? 0, when.day ?? 0, when.hour ?? 0, when.minute ?? 0)
        let ffmpeg = Transcoder.ffmpegPath
        let stored = await runBlocking { () -> URL? in
            guard let format = probeFormat(incoming, ffmpeg: ffmpeg) else { return nil }
            let safeDJ = String(dj.filter { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }.prefix(64))
            let target = folder.appendingPathComponent("\(stamp) \(safeDJ).\(format.ext)")
            let process = Process()
            process.executableURL = URL(fileURLWithPath: ffmpeg)
            // An argument array: the DJ's name and the station's never pass through a shell.
            process.arguments = [
                "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-f", format.demuxer, "-i", incoming.path, "-map", "0:a", "-c", "copy",
                "-metadata", "title=Live set \(stamp)", "-metadata", "artist=\(dj)", "-metadata", "album=\(station.name) live sets",
                "-metadata", "date=\(when.year ?? 0)", "-f", format.muxer, target.path,
            ]
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            guard (try? process.run()) != nil else { return nil }
            process.waitUntilExit()
            return process.terminationStatus == 0 ? target : nil
        }
        guard let stored else {
            logger.warning("station \(station.slug): the live set of \(dj) could not be stored (not audio ffmpeg reads)")
            return
        }
        do {
            let db = app.sql
            let name = "\(station.name) – live sets"
            let library: LibraryRecord
            if let known = try await Libraries.all(on: db).first(where: { $0.name == name && $0.ownerID == station.ownerID }) {
                library = known
            } else {
                library = try await Libraries.create(
                    name: name, ownerID: station.ownerID, visibility: station.ownerID == nil ? .public : .private, kind: .folders, on: db)
            }
            _ = try await Libraries.addFolder(libraryID: library.id, path: folder.path, on: db)
            try await Libraries.enqueueScan(libraryID: library.id, full: false, on: db)
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

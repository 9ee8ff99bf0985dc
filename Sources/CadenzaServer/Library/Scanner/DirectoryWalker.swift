import CFileStat
import CadenzaTags
import Foundation

/// Walks a music folder with POSIX calls: follows symlinks but never loops, keeps going past
/// unreadable entries, and reports names that are not UTF-8 instead of mangling them.
struct DirectoryWalker {
    struct Entry: Sendable {
        /// Relative to the root, "/"-separated.
        var path: String
        var size: Int64
        var mtimeMillis: Int64
        /// Set when the entry cannot be imported whatever its content (bad name, dangling link).
        var problem: String?
    }

    struct Result: Sendable {
        var audio: [Entry] = []
        /// Image file names per directory (relative path, "" for the root), for folder covers.
        var images: [String: [String]] = [:]
        var unreadableDirectories: [String] = []
    }

    static let imageExtensions: Set<String> = ["jpg", "jpeg", "png", "webp"]

    static func walk(root: String) -> Result {
        var result = Result()
        var visited = Set<[UInt64]>()
        var rootStat = cadenza_file_stat_t()
        guard cadenza_file_stat(root, &rootStat) == 0 else {
            result.unreadableDirectories.append("")
            return result
        }
        visited.insert([rootStat.device, rootStat.inode])
        var stack: [String] = [""]
        while let relative = stack.popLast() {
            let absolute = relative.isEmpty ? root : root + "/" + relative
            guard let dir = opendir(absolute) else {
                result.unreadableDirectories.append(relative)
                continue
            }
            defer { closedir(dir) }
            while let entry = readdir(dir) {
                let rawName = withUnsafeBytes(of: entry.pointee.d_name) { buffer -> [UInt8] in
                    Array(buffer.prefix { $0 != 0 })
                }
                if rawName.first == UInt8(ascii: ".") { continue }  // ., .., hidden files
                let name = String(validating: rawName, as: UTF8.self)
                let shownName = name ?? String(decoding: rawName, as: UTF8.self)
                let childRelative = relative.isEmpty ? shownName : relative + "/" + shownName
                let ext = shownName.fileExtension.lowercased()
                let isAudioName = AudioSniffer.audioExtensions.contains(ext)
                guard name != nil else {
                    if isAudioName {
                        result.audio.append(
                            Entry(
                                path: childRelative, size: 0, mtimeMillis: 0,
                                problem: "the file name is not valid UTF-8; rename it"))
                    }
                    continue
                }
                var info = cadenza_file_stat_t()
                let failure = cadenza_file_stat(absolute + "/" + shownName, &info)
                guard failure == 0 else {
                    if isAudioName {
                        result.audio.append(
                            Entry(
                                path: childRelative, size: 0, mtimeMillis: 0,
                                problem: "cannot be read: \(String(cString: strerror(failure)))"))
                    }
                    continue
                }
                switch info.kind {
                case 2:
                    if visited.insert([info.device, info.inode]).inserted {
                        stack.append(childRelative)
                    }
                case 1:
                    if isAudioName {
                        let mtime = Self.millis(seconds: info.mtime_seconds, nanoseconds: info.mtime_nanoseconds)
                        result.audio.append(Entry(path: childRelative, size: info.size, mtimeMillis: mtime))
                    } else if imageExtensions.contains(ext) {
                        result.images[relative, default: []].append(shownName)
                    }
                default:
                    continue
                }
            }
        }
        return result
    }

    /// The folder cover for a directory: cover/folder/front/album images, in that order.
    static func folderCover(in directory: String, images: [String: [String]]) -> String? {
        guard let names = images[directory] else { return nil }
        for stem in ["cover", "folder", "front", "album"] {
            if let hit = names.sorted().first(where: { ($0 as NSString).deletingPathExtension.lowercased() == stem }) {
                return directory.isEmpty ? hit : directory + "/" + hit
            }
        }
        return nil
    }

    /// A file time in milliseconds; a file system may store any 64-bit seconds, so it saturates.
    static func millis(seconds: Int64, nanoseconds: Int64) -> Int64 {
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        if overflow { return seconds < 0 ? Int64.min / 2 : Int64.max / 2 }
        return whole + nanoseconds / 1_000_000
    }
}

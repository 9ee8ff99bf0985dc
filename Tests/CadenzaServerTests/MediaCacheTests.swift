import CadenzaTestSupport
import Foundation
import Testing

@testable import CadenzaServer

/// A playout's local copies: named by content, kept once, refreshed when the source changes,
/// trimmed oldest-aired first but never what is about to air.
@Suite struct MediaCacheTests {
    func write(_ url: URL, bytes: Int, seed: UInt8) throws {
        try Data((0..<bytes).map { UInt8(truncatingIfNeeded: $0) &+ seed }).write(to: url)
    }

    @Test func copiesByContentRefreshesAndTrims() throws {
        let root = try AudioFixtures.temporaryDirectory("cache")
        defer { try? FileManager.default.removeItem(at: root) }
        let share = root.appendingPathComponent("share")
        try FileManager.default.createDirectory(at: share, withIntermediateDirectories: true)
        let a = share.appendingPathComponent("a.flac"), b = share.appendingPathComponent("b.mp3"), twin = share.appendingPathComponent("twin.flac")
        try write(a, bytes: 300_000, seed: 1)
        try write(b, bytes: 300_000, seed: 2)
        try FileManager.default.copyItem(at: a, to: twin)
        let directory = root.appendingPathComponent("media")
        let cache = MediaCache(directory: directory, limitBytes: 700_000)
        #expect(cache.resolve(a.path) == a.path)  // nothing copied yet: the source itself
        #expect(cache.warm([a.path, b.path, twin.path, share.appendingPathComponent("missing.flac").path]) == 3)
        // One copy for the two files of one content.
        #expect(cache.usage.files == 2)
        let copy = cache.resolve(a.path)
        #expect(copy != a.path && copy == cache.resolve(twin.path) && copy.hasSuffix(".flac"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: copy)) == (try Data(contentsOf: a)))
        // Nothing changed: nothing copied again. A changed source is copied anew.
        #expect(cache.warm([a.path, b.path]) == 0)
        try write(b, bytes: 250_000, seed: 9)
        #expect(cache.warm([b.path]) == 1)
        #expect(try Data(contentsOf: URL(fileURLWithPath: cache.resolve(b.path))) == (try Data(contentsOf: b)))
        // The share goes away: the copies stay and are what airs; a new process finds them.
        try FileManager.default.removeItem(at: share)
        #expect(cache.warm([a.path, b.path]) == 0)
        let again = MediaCache(directory: directory, limitBytes: 700_000)
        #expect(FileManager.default.fileExists(atPath: again.resolve(a.path)) && again.resolve(a.path) != a.path)
        // Over the limit: what aired longest ago goes, never what is about to air.
        let c = root.appendingPathComponent("c.flac")
        try write(c, bytes: 300_000, seed: 3)
        _ = again.resolve(b.path)  // b aired last; a, and its twin, before
        Thread.sleep(forTimeInterval: 0.01)
        #expect(again.warm([c.path]) == 1)
        #expect(!again.contains(a.path) && !again.contains(twin.path) && again.contains(b.path) && again.contains(c.path))
        #expect(again.usage.bytes <= 700_000)
        // A file larger than the whole cache is not copied.
        let huge = root.appendingPathComponent("huge.flac")
        try write(huge, bytes: 800_000, seed: 4)
        #expect(again.warm([huge.path]) == 0 && again.resolve(huge.path) == huge.path)
    }

    /// An index edited by hand (or damaged) never names a file outside the cache.
    @Test func aHostileIndexIsIgnored() throws {
        let root = try AudioFixtures.temporaryDirectory("cache")
        defer { try? FileManager.default.removeItem(at: root) }
        let hostile =
            #"{"/music/a.flac": {"hash": "../../etc/passwd", "ext": "", "size": 1, "mtime": 1, "usedAt": 1},"#
            + #" "/music/b.flac": {"hash": "\#(String(repeating: "a", count: 64))", "ext": "/../x", "size": 1, "mtime": 1, "usedAt": 1}}"#
        try Data(hostile.utf8).write(to: root.appendingPathComponent("index.json"))
        let cache = MediaCache(directory: root, limitBytes: 1 << 20)
        #expect(cache.resolve("/music/a.flac") == "/music/a.flac" && cache.resolve("/music/b.flac") == "/music/b.flac")
    }
}

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
        try Data(hostile.utf8).write(to: root.appendingPathComponent("index-all.json"))
        let cache = MediaCache(directory: root, limitBytes: 1 << 20)
        #expect(cache.resolve("/music/a.flac") == "/music/a.flac" && cache.resolve("/music/b.flac") == "/music/b.flac")
    }

    /// Two stations' next items are both kept over the limit; a link is copied as what it points
    /// at; another process's index keeps its copies; a half-written copy is cleared at start.
    @Test func stationsProcessesAndLinks() throws {
        let root = try AudioFixtures.temporaryDirectory("cache")
        defer { try? FileManager.default.removeItem(at: root) }
        let a = root.appendingPathComponent("a.flac"), b = root.appendingPathComponent("b.flac"), link = root.appendingPathComponent("l.flac")
        try write(a, bytes: 300_000, seed: 1)
        try write(b, bytes: 300_000, seed: 2)
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: a)
        let directory = root.appendingPathComponent("media")
        let one = MediaCache(directory: directory, limitBytes: 400_000, name: "one")
        #expect(one.warm([a.path], for: "north") == 1)
        #expect(one.warm([b.path], for: "south") == 1)
        // Over the limit, yet both stations' next items stay.
        #expect(one.contains(a.path) && one.contains(b.path))
        #expect(one.warm([link.path], for: "east") == 1 && one.resolve(link.path) == one.resolve(a.path))
        // Another process (its own index) keeps a copy this one lets go.
        let two = MediaCache(directory: directory, limitBytes: 400_000, name: "two")
        #expect(two.warm([a.path], for: "west") == 1)
        let copyOfA = two.resolve(a.path)
        one.unpin("north")
        one.unpin("east")
        let c = root.appendingPathComponent("c.flac")
        try write(c, bytes: 100_000, seed: 3)
        #expect(one.warm([c.path], for: "north") == 1)
        #expect(!one.contains(a.path) && FileManager.default.fileExists(atPath: copyOfA))
        // A copy a killed process left half written goes at the next start; named copies stay.
        try Data([1, 2, 3]).write(to: directory.appendingPathComponent("incoming-x"))
        _ = MediaCache(directory: directory, limitBytes: 400_000, name: "one")
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("incoming-x").path))
        #expect(FileManager.default.fileExists(atPath: copyOfA))
    }
}

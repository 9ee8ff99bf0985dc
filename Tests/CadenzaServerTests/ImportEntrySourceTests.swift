import Foundation
import Testing

@testable import CadenzaServer

/// JSON Lines imports are read a batch at a time, in order, resumable at any position.
@Suite struct ImportEntrySourceTests {
    static func line(_ i: Int) -> String {
        #"{"listened_at": \#(1_600_000_000 + i), "track_metadata": {"artist_name": "A", "track_name": "Song \#(i)"}}"#
    }

    static func file(lines: [String], trailingNewline: Bool) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("import-\(UUID().uuidString).jsonl")
        try Data((lines.joined(separator: "\n") + (trailingNewline ? "\n" : "")).utf8).write(to: url)
        return url
    }

    static func names(_ entries: [ImportEntry]) -> [String] {
        entries.map { entry in
            switch entry {
            case .listen(let listen): return listen.trackName
            case .skipped(let why): return "skipped: \(why.prefix(20))"
            }
        }
    }

    @Test func batchesFollowTheFileAndResumeWhereTheyStopped() throws {
        var lines = (0..<2_500).map(Self.line)
        lines.insert("", at: 10)  // blank lines are not entries
        lines.insert("{not json", at: 20)
        lines.insert(#"{"x": ""# + String(repeating: "y", count: 1_600_000) + #""}"#, at: 30)  // longer than 1 MB
        let url = try Self.file(lines: lines, trailingNewline: false)
        defer { try? FileManager.default.removeItem(at: url) }

        let source = ImportEntrySource(files: [url], now: Clock.nowMillis() / 1000)
        var all: [ImportEntry] = []
        while case let batch = try source.next(1000), !batch.isEmpty {
            #expect(batch.count <= 1000)
            all += batch
        }
        let names = Self.names(all)
        #expect(names.count == 2_502)
        #expect(names.first == "Song 0" && names.last == "Song 2499")
        #expect(names.filter { $0.hasPrefix("skipped") }.count == 2)

        let resumed = ImportEntrySource(files: [url], now: Clock.nowMillis() / 1000)
        try resumed.skip(1_200)
        #expect(Self.names(try resumed.next(3)) == Array(names[1_200..<1_203]))
    }
}

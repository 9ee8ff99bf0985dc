import Foundation
import Testing

@testable import CadenzaServer

/// The fingerprint is stored with every file: a release that computed it differently would see
/// every file of every library as changed (and moved files as new) on its first scan.
@Suite struct FingerprintTests {
    /// Computed by the release before the fingerprint read files with `pread` (a scan stored these
    /// for the same files) and by Python's hashlib from the definition: size, head, tail.
    @Test func sameValuesAsEarlierReleasesAcrossTheWindowEdges() throws {
        let expected: [(Int, String)] = [
            (1, "b4fd3368acff1684eb0d827d6717a342f730cd3692198f2a340401d376c32f65"),
            (1000, "1a6ba21429739f7add3ff71166d83f1a2cb7f53d8002e7cb9cb7e58da741d85d"),
            (65536, "a62dcdebc7b80ee5cd9ccb9f0599998b62b69ab12395beedb97386576c1b24f1"),
            (66536, "5468d886a22f4b8d931314aadbfc149497b99e5895447de0e7d5c2016b610c3b"),
            (131077, "4dbc7a8879823efa864703564790e034657e85bf17e7c5a63b1565b4357145a0"),
            (300000, "46b243c5304e98fd2cc35c0cf01d3a0fb45aa906761f48d223eeba7083715f6e"),
        ]
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fingerprint-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for (size, hash) in expected {
            let path = dir.appendingPathComponent("f\(size).mp3").path
            try Data((0..<size).map { UInt8(($0 * 7 + 3) % 251) }).write(to: URL(fileURLWithPath: path))
            #expect(Fingerprint.of(path: path) == hash, "\(size) bytes")
        }
    }

    /// A FIFO named like a track must not hang the scan's reading thread.
    @Test func notARegularFileHasNoFingerprint() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fingerprint-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let fifo = dir.appendingPathComponent("pipe.mp3").path
        #expect(mkfifo(fifo, 0o600) == 0)
        #expect(Fingerprint.of(path: fifo) == nil)
        #expect(Fingerprint.of(path: dir.path) == nil)
        #expect(Fingerprint.of(path: dir.appendingPathComponent("missing.mp3").path) == nil)
    }
}

@testable import CadenzaServer
import Foundation
import Testing

@Suite struct BackupChecksumTests {
    func folder() throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("cadenza-backup-\(UUID())")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("uploads/1/.incoming"), withIntermediateDirectories: true)
        try Data("song".utf8).write(to: root.appendingPathComponent("uploads/1/a.ogg"))
        try Data("half".utf8).write(to: root.appendingPathComponent("uploads/1/.incoming/b.ogg"))
        try Data("half".utf8).write(to: root.appendingPathComponent("uploads/1/incoming-c.ogg"))
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("uploads/1/link").path, withDestinationPath: "/etc/passwd")
        return root
    }

    @Test func sumsCoverFinishedFilesOnlyAndCatchEveryChange() throws {
        let root = try folder()
        defer { try? FileManager.default.removeItem(at: root) }
        #expect(try FileTree.files(under: root) == ["uploads/1/a.ogg"])
        #expect(try Checksums.write(root, to: "SHA256SUMS") == 1)
        let clean = try Checksums.verify(root, from: "SHA256SUMS")
        #expect(clean.listed == ["uploads/1/a.ogg"] && clean.bad.isEmpty)
        try Data("sonG".utf8).write(to: root.appendingPathComponent("uploads/1/a.ogg"))
        #expect(try Checksums.verify(root, from: "SHA256SUMS").bad == ["uploads/1/a.ogg"])
        try FileManager.default.removeItem(at: root.appendingPathComponent("uploads/1/a.ogg"))
        #expect(try Checksums.verify(root, from: "SHA256SUMS").bad == ["uploads/1/a.ogg"])
    }

    @Test func aSumsFileNamingPathsOutsideTheBackupIsRefused() throws {
        let root = try folder()
        defer { try? FileManager.default.removeItem(at: root) }
        let zeros = String(repeating: "0", count: 64)
        for hostile in ["../../etc/passwd", "/etc/passwd", "uploads/../../x", ".", "uploads/./a.ogg", "uploads//a.ogg"] {
            try Data("\(zeros)  \(hostile)\n".utf8).write(to: root.appendingPathComponent("SHA256SUMS"))
            #expect(throws: Backup.Failure.self) { try Checksums.verify(root, from: "SHA256SUMS") }
        }
        try Data("not a sums file\n".utf8).write(to: root.appendingPathComponent("SHA256SUMS"))
        #expect(throws: Backup.Failure.self) { try Checksums.verify(root, from: "SHA256SUMS") }
        #expect(throws: Backup.Failure.self) { try Checksums.verify(root, from: "MISSING") }
    }
}

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

    /// A media folder that is itself a link (to a share mounted elsewhere, as nodes that share
    /// their uploads set it up) is backed up with its files; links inside it are still not followed.
    @Test func aFolderThatIsALinkToAShareIsCopiedWithItsFiles() throws {
        let share = try folder()
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("cadenza-home-\(UUID())")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            at: home.appendingPathComponent("uploads"), withDestinationURL: share.appendingPathComponent("uploads"))
        defer { for dir in [share, home] { try? FileManager.default.removeItem(at: dir) } }
        #expect(try FileTree.files(under: home.appendingPathComponent("uploads")) == ["1/a.ogg"])
        let target = home.appendingPathComponent("backup/uploads")
        let copied = try FileTree.copy(from: home.appendingPathComponent("uploads"), to: target)
        #expect(copied.files == 1 && copied.bytes == 4)
        #expect(try String(contentsOf: target.appendingPathComponent("1/a.ogg"), encoding: .utf8) == "song")
        // Restored through the link: onto the share, the link left in place.
        try Data("new".utf8).write(to: target.appendingPathComponent("1/a.ogg"))
        try Backup.swapIn(target, at: home.appendingPathComponent("uploads")) { from, to in _ = try FileTree.copy(from: from, to: to) }
        #expect(
            try FileManager.default.destinationOfSymbolicLink(atPath: home.appendingPathComponent("uploads").path)
                == share.appendingPathComponent("uploads").path)
        #expect(try String(contentsOf: share.appendingPathComponent("uploads/1/a.ogg"), encoding: .utf8) == "new")
        #expect(try String(contentsOf: share.appendingPathComponent("uploads.before-restore/1/a.ogg"), encoding: .utf8) == "song")
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

import Foundation
import Testing
import Vapor

@testable import CadenzaServer

/// Files a killed process left behind are swept; files in use are not.
@Suite struct StaleFilesTests {
    static func file(_ url: URL, age: TimeInterval) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data("x".utf8).write(to: url)
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-age)], ofItemAtPath: url.path)
    }

    @Test func theLibrarySweepRemovesOnlyOldScratchFiles() async throws {
        try await withApp { app in
            let settings = try app.settings
            let incoming = Uploads.uploadRoot(settings).appendingPathComponent(".incoming")
            let transcodes = Transcoder.cacheDirectory(settings)
            try Self.file(incoming.appendingPathComponent("dead-upload"), age: 7 * 3600)
            try Self.file(incoming.appendingPathComponent("live-upload"), age: 60)
            try Self.file(transcodes.appendingPathComponent(".dead.part"), age: 7 * 3600)
            try Self.file(transcodes.appendingPathComponent("12-abc.mp3"), age: 30 * 86_400)  // a cached transcode: kept
            await LibraryScanner.sweep(settings)
            let left = Set(try FileManager.default.contentsOfDirectory(atPath: incoming.path))
            #expect(left == ["live-upload"])
            #expect(Set(try FileManager.default.contentsOfDirectory(atPath: transcodes.path)) == ["12-abc.mp3"])
        }
    }
}

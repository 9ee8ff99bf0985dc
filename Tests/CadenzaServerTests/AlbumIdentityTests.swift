import Fluent
import Foundation
import SQLKit
import Testing
import Vapor

@testable import CadenzaServer

import CadenzaTestSupport

/// A MusicBrainz release id in a file's tags never joins an album across libraries.
@Suite struct AlbumIdentityTests {
    static let release = "1d2e3f40-5a6b-4c7d-8e9f-0a1b2c3d4e5f"

    static func twoLibraries(_ app: Application) async throws -> (public: Int64, private: Int64, privateFolder: Int64, roots: [URL]) {
        let shared = try AudioFixtures.temporaryDirectory("shared")
        let secret = try AudioFixtures.temporaryDirectory("secret")
        try AudioFixtures.audio(
            at: shared.appendingPathComponent("a.mp3").path,
            metadata: LibraryScannerTests.tags("Open", album: "Bait").merging(["MUSICBRAINZ_ALBUMID": release]) { $1 })
        try AudioFixtures.audio(
            at: secret.appendingPathComponent("b.mp3").path,
            metadata: LibraryScannerTests.tags("Hidden", album: "Secret Sessions").merging(["MUSICBRAINZ_ALBUMID": release]) { $1 })
        let folder = try await LibraryScannerTests.library(app, root: shared)
        _ = try await LibraryScanner.scan(folderID: folder, full: false, app: app, logger: app.logger)
        let (annID, _) = try await app.makeUser("ann")
        let privateLibrary = try await Libraries.create(name: "ann's", ownerID: annID, visibility: .private, kind: .uploads, on: app.sql)
        let privateFolder = try await Libraries.addFolder(libraryID: privateLibrary.id, path: secret.path, on: app.sql)
        _ = try await LibraryScanner.scan(folderID: privateFolder.id, full: false, app: app, logger: app.logger)
        let publicLibrary = try #require(
            try await app.sql.raw("SELECT library_id FROM library_folders WHERE id = \(bind: folder)").first()?.decode(
                column: "library_id", as: Int64.self))
        return (publicLibrary, privateLibrary.id, privateFolder.id, [shared, secret])
    }

    static func albumTitles(_ app: Application, library: Int64) async throws -> [String] {
        try await app.sql.raw(
            "SELECT DISTINCT a.title FROM albums a JOIN tracks t ON t.album_id = a.id WHERE t.library_id = \(bind: library) ORDER BY a.title"
        ).all().map { try $0.decode(column: "title", as: String.self) }
    }

    @Test func theSameReleaseInTwoLibrariesIsTwoAlbums() async throws {
        try await withApp { app in
            let setup = try await Self.twoLibraries(app)
            defer { setup.roots.forEach { try? FileManager.default.removeItem(at: $0) } }
            #expect(try await Self.albumTitles(app, library: setup.public) == ["Bait"])
            #expect(try await Self.albumTitles(app, library: setup.private) == ["Secret Sessions"])
        }
    }

    /// Databases from before: one album row shared by both libraries, keyed by the release only.
    @Test func theMigrationSplitsAlbumsMergedAcrossLibraries() async throws {
        try await withApp { app in
            let setup = try await Self.twoLibraries(app)
            defer { setup.roots.forEach { try? FileManager.default.removeItem(at: $0) } }
            let rows = try await app.sql.raw("SELECT id, title FROM albums ORDER BY id").all()
            let first = try rows[0].decode(column: "id", as: Int64.self), second = try rows[1].decode(column: "id", as: Int64.self)
            try await app.sql.raw("UPDATE tracks SET album_id = \(bind: first)").run()
            try await app.sql.raw("DELETE FROM albums WHERE id = \(bind: second)").run()
            try await app.sql.raw("UPDATE albums SET match_key = \(bind: "mbid:\(Self.release)") WHERE id = \(bind: first)").run()
            #expect(try await Self.albumTitles(app, library: setup.private) == ["Bait"])  // the leak, as it was

            try await M018_SplitReleaseAlbumsByLibrary().prepare(on: app.db)
            let keys = try await app.sql.raw("SELECT match_key FROM albums ORDER BY id").all().map {
                try $0.decode(column: "match_key", as: String.self)
            }
            #expect(keys == ["mbid:\(Self.release)|lib:\(setup.public)", "mbid:\(Self.release)|lib:\(setup.private)|split"])
            #expect(try await Self.albumTitles(app, library: setup.public) == ["Bait"])
            #expect(try await Self.albumTitles(app, library: setup.private) == ["[Unknown Album]"])
            let queued = try await app.sql.raw(
                "SELECT COUNT(*) AS n FROM jobs WHERE unique_key = \(bind: "scan:folder:\(setup.privateFolder)") AND state = 'queued'"
            ).first()?.decode(column: "n", as: Int.self)
            #expect(queued == 1)
            // The queued scan re-reads the moved files and names their album from their own tags.
            _ = try await LibraryScanner.scan(folderID: setup.privateFolder, full: false, app: app, logger: app.logger)
            #expect(try await Self.albumTitles(app, library: setup.private) == ["Secret Sessions"])
            #expect(try await app.sql.raw("SELECT COUNT(*) AS n FROM albums").first()?.decode(column: "n", as: Int.self) == 2)
            let shared = try await app.sql.raw("SELECT COUNT(DISTINCT library_id) AS n FROM tracks GROUP BY album_id ORDER BY n DESC").all()
            #expect(try shared.map { try $0.decode(column: "n", as: Int.self) }.allSatisfy { $0 == 1 })
        }
    }
}

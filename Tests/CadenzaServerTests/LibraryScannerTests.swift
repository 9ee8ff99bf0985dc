@testable import CadenzaServer
import Fluent
import CadenzaTestSupport
import Foundation
import SQLKit
import Testing
import Vapor

@Suite struct LibraryScannerTests {
    static func tags(_ title: String, album: String = "Glass Echo", artist: String = "Kaloven", track: Int = 1) -> [String: String] {
        ["title": title, "artist": artist, "album_artist": artist, "album": album, "track": String(track), "date": "2004", "genre": "Rock"]
    }

    /// A folder library over `root`, scanned once; returns the folder id.
    static func library(_ app: Application, root: URL) async throws -> Int64 {
        try await Libraries.ensureMusicDirectories([root.path], on: app.sql)
        let folder = try #require(try await app.sql.raw("SELECT id FROM library_folders").first()?.decode(column: "id", as: Int64.self))
        return folder
    }

    static func count(_ app: Application, _ table: String) async throws -> Int {
        try await app.sql.raw("SELECT COUNT(*) AS n FROM \(unsafeRaw: table)").first()?.decode(column: "n", as: Int.self) ?? -1
    }

    @Test func incrementalRescanAddsChangesRemovesAndKeepsMovedFiles() async throws {
        let root = try AudioFixtures.temporaryDirectory("music")
        defer { try? FileManager.default.removeItem(at: root) }
        for n in 1...3 {
            try AudioFixtures.audio(at: root.appendingPathComponent("Kaloven/Glass Echo/0\(n).mp3").path, metadata: Self.tags("Song \(n)", track: n))
        }
        try AudioFixtures.audio(
            at: root.appendingPathComponent("Other/Night/01.flac").path,
            metadata: Self.tags("Night One", album: "Night", artist: "Milo"))
        try await withApp { app in
            let folder = try await Self.library(app, root: root)
            var summary = try await LibraryScanner.scan(folderID: folder, full: false, app: app, logger: app.logger)
            #expect(summary.added == 4 && summary.failed == 0)
            #expect(try await Self.count(app, "albums") == 2)
            #expect(try await Self.count(app, "artists") == 2)
            let track = try #require(try await app.sql.raw("SELECT * FROM tracks WHERE title = 'Song 2'").first())
            #expect(try track.decode(column: "track_number", as: Int?.self) == 2)
            #expect(try track.decode(column: "year", as: Int?.self) == 2004)
            #expect(try track.decode(column: "genre", as: String?.self) == "Rock")

            // Nothing changed: nothing is read.
            summary = try await LibraryScanner.scan(folderID: folder, full: false, app: app, logger: app.logger)
            #expect(summary.unchanged == 4 && summary.added == 0 && summary.updated == 0)

            // A retag, an addition, a deletion and a move, all at once.
            let moved = try #require(try await app.sql.raw("SELECT id, track_id FROM files WHERE path LIKE '%03.mp3'").first())
            try AudioFixtures.audio(
                at: root.appendingPathComponent("Kaloven/Glass Echo/01.mp3").path, metadata: Self.tags("Song One (Remaster)", track: 1))
            try AudioFixtures.audio(
                at: root.appendingPathComponent("Kaloven/Glass Echo/04.mp3").path, metadata: Self.tags("Song 4", track: 4), frequency: 550)
            try FileManager.default.removeItem(at: root.appendingPathComponent("Other/Night/01.flac"))
            try FileManager.default.moveItem(
                at: root.appendingPathComponent("Kaloven/Glass Echo/03.mp3"),
                to: root.appendingPathComponent("Kaloven/Glass Echo/03 - Song 3.mp3"))
            summary = try await LibraryScanner.scan(folderID: folder, full: false, app: app, logger: app.logger)
            #expect(summary.updated == 1)
            #expect(summary.added == 1)
            #expect(summary.removed == 1)
            #expect(summary.moved == 1)
            let after = try #require(try await app.sql.raw("SELECT id, track_id FROM files WHERE path LIKE '%03 - Song 3.mp3'").first())
            #expect(try after.decode(column: "id", as: Int64.self) == (try moved.decode(column: "id", as: Int64.self)))
            #expect(try after.decode(column: "track_id", as: Int64?.self) == (try moved.decode(column: "track_id", as: Int64?.self)))
            #expect(try await app.sql.raw("SELECT id FROM tracks WHERE title = 'Song One (Remaster)'").first() != nil)
            // The emptied album and its artist are gone.
            #expect(try await Self.count(app, "albums") == 1)
            #expect(try await Self.count(app, "artists") == 1)
            #expect(try await Self.count(app, "tracks") == 4)

            // Emptied altogether (an unmounted share's mount point): the scan fails and keeps them.
            let away = try AudioFixtures.temporaryDirectory("away")
            defer { try? FileManager.default.removeItem(at: away) }
            for name in try FileManager.default.contentsOfDirectory(atPath: root.path) {
                try FileManager.default.moveItem(at: root.appendingPathComponent(name), to: away.appendingPathComponent(name))
            }
            await #expect(throws: (any Error).self) { try await LibraryScanner.scan(folderID: folder, full: false, app: app, logger: app.logger) }
            #expect(try await Self.count(app, "tracks") == 4)
        }
    }

    @Test func sameTitledAlbumsInDifferentFoldersStayApartButDiscFoldersJoin() async throws {
        let root = try AudioFixtures.temporaryDirectory("music")
        defer { try? FileManager.default.removeItem(at: root) }
        try AudioFixtures.audio(
            at: root.appendingPathComponent("A/Greatest Hits (1990)/01.mp3").path, metadata: Self.tags("One", album: "Greatest Hits"))
        try AudioFixtures.audio(
            at: root.appendingPathComponent("A/Greatest Hits (2005)/01.mp3").path, metadata: Self.tags("Uno", album: "Greatest Hits"))
        try AudioFixtures.audio(at: root.appendingPathComponent("A/Live/CD1/01.mp3").path, metadata: Self.tags("Live A", album: "Live"))
        try AudioFixtures.audio(at: root.appendingPathComponent("A/Live/CD2/01.mp3").path, metadata: Self.tags("Live B", album: "Live"))
        try await withApp { app in
            let folder = try await Self.library(app, root: root)
            _ = try await LibraryScanner.scan(folderID: folder, full: false, app: app, logger: app.logger)
            let hits = try await app.sql.raw("SELECT COUNT(*) AS n FROM albums WHERE title = 'Greatest Hits'").first()?.decode(
                column: "n", as: Int.self)
            #expect(hits == 2)
            let live = try await app.sql.raw("SELECT COUNT(*) AS n FROM albums WHERE title = 'Live'").first()?.decode(column: "n", as: Int.self)
            #expect(live == 1)
            // One artist however many albums: merged by normalised name.
            #expect(try await Self.count(app, "artists") == 1)
        }
    }

    @Test func albumsMergeByMusicBrainzIDAcrossFolders() async throws {
        let root = try AudioFixtures.temporaryDirectory("music")
        defer { try? FileManager.default.removeItem(at: root) }
        let release = "0b6e3e3a-0000-4000-8000-00000000aaaa"
        var one = Self.tags("Side A", album: "Split"), two = Self.tags("Side B", album: "Split", track: 2)
        one["MUSICBRAINZ_ALBUMID"] = release
        two["MUSICBRAINZ_ALBUMID"] = release
        try AudioFixtures.audio(at: root.appendingPathComponent("x/1.flac").path, metadata: one)
        try AudioFixtures.audio(at: root.appendingPathComponent("y/2.flac").path, metadata: two)
        try await withApp { app in
            let folder = try await Self.library(app, root: root)
            _ = try await LibraryScanner.scan(folderID: folder, full: false, app: app, logger: app.logger)
            #expect(try await Self.count(app, "albums") == 1)
            #expect(try await app.sql.raw("SELECT mbid FROM albums").first()?.decode(column: "mbid", as: String?.self) == release)
        }
    }

    @Test func badFilesBecomeRecordsWithErrorsAndNeverStopTheScan() async throws {
        let root = try AudioFixtures.temporaryDirectory("music")
        defer { try? FileManager.default.removeItem(at: root) }
        try AudioFixtures.audio(at: root.appendingPathComponent("good/01.mp3").path, metadata: Self.tags("Fine"))
        let fm = FileManager.default
        fm.createFile(atPath: root.appendingPathComponent("zero.mp3").path, contents: Data())
        try "definitely not audio".write(to: root.appendingPathComponent("text.mp3"), atomically: true, encoding: .utf8)
        let whole = try AudioFixtures.audio(at: root.appendingPathComponent("tmp/whole.flac").path, metadata: Self.tags("Whole"), seconds: 2)
        try Data(try Data(contentsOf: URL(fileURLWithPath: whole)).prefix(50)).write(to: root.appendingPathComponent("truncated.flac"))
        try fm.removeItem(atPath: (whole as NSString).deletingLastPathComponent)
        var garbage = Data("ID3".utf8) + Data([3, 0, 0, 0x7F, 0x7F, 0x7F, 0x7F])
        garbage += Data(repeating: 0xEE, count: 300_000)
        try garbage.write(to: root.appendingPathComponent("garbage-tags.mp3"))
        try fm.createSymbolicLink(atPath: root.appendingPathComponent("good/loop").path, withDestinationPath: root.path)
        try fm.createSymbolicLink(atPath: root.appendingPathComponent("dangling.mp3").path, withDestinationPath: "/nonexistent/x.mp3")
        // A file name that is not UTF-8 (Latin-1 "é"), made with open(2) since Swift strings are always valid UTF-8.
        let raw = Array(root.path.utf8) + Array("/caf".utf8) + [0xE9] + Array(".mp3".utf8) + [0]
        let fd = raw.withUnsafeBufferPointer {
            open(UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), O_CREAT | O_WRONLY, 0o644)
        }
        if fd >= 0 { close(fd) }

        try await withApp { app in
            let folder = try await Self.library(app, root: root)
            let summary = try await LibraryScanner.scan(folderID: folder, full: false, app: app, logger: app.logger)
            #expect(summary.added == 1)
            let failed = try await app.sql.raw("SELECT path, error FROM files WHERE status = 'failed' ORDER BY path").all()
            let errors = Dictionary(
                uniqueKeysWithValues: try failed.map {
                    (try $0.decode(column: "path", as: String.self), try $0.decode(column: "error", as: String?.self) ?? "")
                })
            #expect(errors["zero.mp3"] == "empty file")
            #expect(errors["text.mp3"]?.isEmpty == false)
            #expect(errors["truncated.flac"]?.isEmpty == false)
            #expect(errors["garbage-tags.mp3"]?.isEmpty == false)
            #expect(errors["dangling.mp3"]?.contains("cannot be read") == true)
            #expect(errors.keys.contains { $0.hasPrefix("caf") } == (fd >= 0))
            #expect(errors.values.allSatisfy { !$0.isEmpty })
            // The loop was walked once: one good file, not infinitely many.
            #expect(try await Self.count(app, "tracks") == 1)
            // A second scan does not re-read what failed the same way.
            let again = try await LibraryScanner.scan(folderID: folder, full: false, app: app, logger: app.logger)
            #expect(again.updated == 0 && again.added == 0)
        }
    }

    @Test func coversComeFromFolderImagesAndEmbeddedPicturesStoredOnce() async throws {
        let root = try AudioFixtures.temporaryDirectory("music")
        defer { try? FileManager.default.removeItem(at: root) }
        try AudioFixtures.jpeg(at: root.appendingPathComponent("Folder Album/cover.jpg").path, color: "blue")
        try AudioFixtures.audio(at: root.appendingPathComponent("Folder Album/01.mp3").path, metadata: Self.tags("F", album: "Folder Album"))
        let embedded = try AudioFixtures.jpeg(
            at: FileManager.default.temporaryDirectory.appendingPathComponent("emb-\(UUID()).jpg").path, color: "green")
        // Only one track carries the picture, whatever order the folder lists them in.
        try AudioFixtures.audio(at: root.appendingPathComponent("Embedded/01.mp3").path, metadata: Self.tags("E", album: "Embedded"))
        try AudioFixtures.audio(
            at: root.appendingPathComponent("Embedded/02.mp3").path, metadata: Self.tags("E2", album: "Embedded", track: 2), cover: embedded)
        try await withApp { app in
            let folder = try await Self.library(app, root: root)
            _ = try await LibraryScanner.scan(folderID: folder, full: false, app: app, logger: app.logger)
            #expect(
                try await app.sql.raw("SELECT COUNT(*) AS n FROM albums WHERE artwork_id IS NOT NULL").first()?.decode(column: "n", as: Int.self) == 2
            )
            #expect(try await Self.count(app, "artworks") == 2)
            for row in try await app.sql.raw("SELECT hash, mime FROM artworks").all() {
                let url = ArtworkStore.url(
                    hash: try row.decode(column: "hash", as: String.self), mime: try row.decode(column: "mime", as: String.self),
                    settings: try app.settings)
                #expect(FileManager.default.fileExists(atPath: url.path))
            }
        }
    }

    @Test func catalogQueriesSeeOnlyVisibleLibraries() async throws {
        let root = try AudioFixtures.temporaryDirectory("music")
        defer { try? FileManager.default.removeItem(at: root) }
        try AudioFixtures.audio(at: root.appendingPathComponent("pub/1.mp3").path, metadata: Self.tags("Shared Song", album: "Shared"))
        try await withApp { app in
            let folder = try await Self.library(app, root: root)
            _ = try await LibraryScanner.scan(folderID: folder, full: false, app: app, logger: app.logger)
            let (annID, _) = try await app.makeUser("ann")
            let (bobID, _) = try await app.makeUser("bob")
            let ann = Principal(userID: annID, username: "ann", role: .user, method: .token(id: 0))
            let bob = Principal(userID: bobID, username: "bob", role: .user, method: .token(id: 0))
            let privateLibrary = try await Libraries.create(name: "ann's", ownerID: annID, visibility: .private, kind: .uploads, on: app.sql)
            let privateRoot = try AudioFixtures.temporaryDirectory("private")
            defer { try? FileManager.default.removeItem(at: privateRoot) }
            try AudioFixtures.audio(at: privateRoot.appendingPathComponent("secret.mp3").path, metadata: Self.tags("Secret Song", album: "Secret"))
            let privateFolder = try await Libraries.addFolder(libraryID: privateLibrary.id, path: privateRoot.path, on: app.sql)
            _ = try await LibraryScanner.scan(folderID: privateFolder.id, full: false, app: app, logger: app.logger)

            let page = CatalogQueries.Paging(limit: 50, offset: 0)
            let annSees = try await CatalogQueries.albums(visible: try await Libraries.visibleIDs(for: ann, on: app.sql), paging: page, on: app.sql)
            let bobSees = try await CatalogQueries.albums(visible: try await Libraries.visibleIDs(for: bob, on: app.sql), paging: page, on: app.sql)
            #expect(Set(annSees.map(\.title)) == ["Shared", "Secret"])
            #expect(bobSees.map(\.title) == ["Shared"])
            let secretFile = try #require(
                try await app.sql.raw("SELECT id FROM files WHERE library_id = \(bind: privateLibrary.id)").first()?
                    .decode(column: "id", as: Int64.self))
            #expect(
                try await CatalogQueries.streamableFile(id: secretFile, visible: try await Libraries.visibleIDs(for: bob, on: app.sql), on: app.sql)
                    == nil)
            #expect(
                try await CatalogQueries.streamableFile(id: secretFile, visible: try await Libraries.visibleIDs(for: ann, on: app.sql), on: app.sql)
                    != nil)
            let search = try await CatalogQueries.tracks(
                visible: try await Libraries.visibleIDs(for: bob, on: app.sql), paging: page,
                search: "song", on: app.sql)
            #expect(search.map(\.title) == ["Shared Song"])
            // Id lists larger than a statement's bind limit (PostgreSQL: 65,535): a user's stars, a big playlist.
            let sharedTrack = try #require(search.first.flatMap { Int64($0.id) })
            let many = Array(Int64(1_000_000)...Int64(1_070_000)) + [sharedTrack]
            let bobVisible = try await Libraries.visibleIDs(for: bob, on: app.sql)
            let found = try await CatalogQueries.tracks(visible: bobVisible, paging: .init(limit: many.count, offset: 0), ids: many, on: app.sql)
            #expect(found.map(\.title) == ["Shared Song"])
            #expect(try await PlaylistStore.visibleTrackIDs(many, visible: bobVisible, on: app.sql) == [sharedTrack])
        }
    }

    @Test func storedPathsCannotEscapeTheirFolder() {
        #expect(SafePath.join(root: "/music", relative: "a/b.mp3") == "/music/a/b.mp3")
        #expect(SafePath.join(root: "/music", relative: "../etc/passwd") == nil)
        #expect(SafePath.join(root: "/music", relative: "a/../../etc/passwd") == nil)
        #expect(SafePath.join(root: "/music", relative: "/etc/passwd") == nil)
    }

    @Test func byteRangesAreJudgedLikeRFC9110() {
        #expect(ByteRange.check(nil, size: 100) == .whole)
        #expect(ByteRange.check("bytes=0-9", size: 100) == .satisfiable)
        #expect(ByteRange.check("bytes=-10", size: 100) == .satisfiable)
        #expect(ByteRange.check("bytes=50-", size: 100) == .satisfiable)
        #expect(ByteRange.check("bytes=100-", size: 100) == .unsatisfiable)
        #expect(ByteRange.check("bytes=200-300, 400-", size: 100) == .unsatisfiable)
        #expect(ByteRange.check("bytes=9-1", size: 100) == .whole)
        #expect(ByteRange.check("items=0-1", size: 100) == .whole)
    }
}

@Suite struct PeriodicRescanTests {
    @Test func theSchedulerQueuesARescanOfEveryFolderLibrary() async throws {
        let root = try AudioFixtures.temporaryDirectory("music")
        defer { try? FileManager.default.removeItem(at: root) }
        try AudioFixtures.audio(at: root.appendingPathComponent("a/1.mp3").path, metadata: LibraryScannerTests.tags("One"))
        try await withApp(roles: [.worker], settings: ["CADENZA_RESCAN_MINUTES": "30"]) { app in
            try await Libraries.ensureMusicDirectories([root.path], on: app.sql)
            #expect(try await eventually { try await LibraryScannerTests.count(app, "tracks") == 1 })
            // The first scan's tracks commit before its job is marked done; a rescan queued in
            // between is coalesced into it (one live scan per folder) and would find nothing new.
            #expect(try await eventually { try await JobQueue.liveCount(kind: LibraryScanner.jobKind, on: app.sql) == 0 })
            try AudioFixtures.audio(at: root.appendingPathComponent("a/2.mp3").path, metadata: LibraryScannerTests.tags("Two", track: 2))
            let scheduler = Scheduler(db: app.db, tasks: LibraryScanner.periodic(try app.settings), logger: app.logger)
            #expect(try await scheduler.tick() == ["rescan"])
            #expect(try await eventually { try await LibraryScannerTests.count(app, "tracks") == 2 })
            #expect(LibraryScanner.periodic(try Settings.load(flags: ["CADENZA_RESCAN_MINUTES": "0"], environment: [:])).isEmpty)
        }
    }
}

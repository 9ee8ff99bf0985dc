@testable import CadenzaServer
import CadenzaTestSupport
import Fluent
import Foundation
import SQLKit
import Testing
import Vapor

/// `CatalogQueries` (and the in-memory `CatalogIndex` search) over small scanned libraries:
/// what each caller may see, ordering and paging, search, filters.
@Suite struct CatalogQueriesTests {
    static let page = CatalogQueries.Paging(limit: 50, offset: 0)

    static func tags(
        _ title: String, album: String, artist: String = "Kaloven", albumArtist: String? = nil, track: Int = 1,
        year: Int? = 2004, genre: String = "Rock", extra: [String: String] = [:]
    ) -> [String: String] {
        var tags = [
            "title": title, "artist": artist, "album_artist": albumArtist ?? artist, "album": album,
            "track": String(track), "genre": genre,
        ]
        if let year { tags["date"] = String(year) }
        return tags.merging(extra) { _, new in new }
    }

    static func write(_ root: URL, _ path: String, _ tags: [String: String], frequency: Int = 440) throws {
        try AudioFixtures.audio(at: root.appendingPathComponent(path).path, metadata: tags, frequency: frequency)
    }

    /// A library over `root` (the instance's when `owner` is nil), scanned once; returns its id.
    static func library(
        _ app: Application, root: URL, owner: Int64? = nil,
        visibility: LibraryRecord.Visibility = .instance
    ) async throws -> Int64 {
        let library = try await Libraries.create(
            name: owner.map { "Library of \($0)" } ?? "Music", ownerID: owner,
            visibility: visibility, kind: .folders, on: app.sql)
        let folder = try await Libraries.addFolder(libraryID: library.id, path: root.path, on: app.sql)
        let summary = try await LibraryScanner.scan(folderID: folder.id, full: false, app: app, logger: app.logger)
        #expect(summary.failed == 0)
        return library.id
    }

    static func principal(_ app: Application, _ name: String, role: UserRole = .user) async throws -> Principal {
        let (id, _) = try await app.makeUser(name, role: role)
        return Principal(userID: id, username: name, role: role, method: .token(id: 0))
    }

    static func visible(_ app: Application, _ viewer: Principal) async throws -> [Int64] {
        try await Libraries.visibleIDs(for: viewer, on: app.sql)
    }

    static func removing(_ dirs: URL...) {
        for dir in dirs { try? FileManager.default.removeItem(at: dir) }
    }

    // MARK: visibility

    @Test func anotherUsersPrivateLibraryIsInvisibleInEveryRead() async throws {
        let shared = try AudioFixtures.temporaryDirectory("shared"), secret = try AudioFixtures.temporaryDirectory("secret")
        defer { Self.removing(shared, secret) }
        try Self.write(shared, "Kaloven/Glass Echo/01.mp3", Self.tags("Glass One", album: "Glass Echo"))
        try Self.write(secret, "Milo/Night/01.mp3", Self.tags("Night One", album: "Night", artist: "Milo", genre: "Jazz"), frequency: 550)
        try await withApp { app in
            let ann = try await Self.principal(app, "ann"), bob = try await Self.principal(app, "bob")
            let boss = try await Self.principal(app, "boss", role: .admin)
            let sharedLibrary = try await Self.library(app, root: shared)
            let secretLibrary = try await Self.library(app, root: secret, owner: ann.userID, visibility: .private)
            let annSees = try await Self.visible(app, ann), bobSees = try await Self.visible(app, bob)
            let bossSees = try await Self.visible(app, boss)
            #expect(Set(annSees) == [sharedLibrary, secretLibrary])
            #expect(bobSees == [sharedLibrary])
            #expect(Set(bossSees) == [sharedLibrary, secretLibrary])

            #expect(try await CatalogQueries.artists(visible: bobSees, paging: Self.page, on: app.sql).map(\.name) == ["Kaloven"])
            #expect(try await CatalogQueries.artists(visible: annSees, paging: Self.page, on: app.sql).map(\.name) == ["Kaloven", "Milo"])
            #expect(try await CatalogQueries.genres(visible: bobSees, on: app.sql).map(\.name) == ["Rock"])
            #expect(try await CatalogQueries.genres(visible: annSees, on: app.sql).map(\.name) == ["Jazz", "Rock"])
            #expect(try await CatalogQueries.tracks(visible: bossSees, paging: Self.page, on: app.sql).count == 2)

            // Asked for by id, the private album and its artist do not exist for bob.
            let night = try #require(
                try await CatalogQueries.albums(visible: annSees, paging: Self.page, on: app.sql)
                    .first { $0.title == "Night" })
            let nightID = try #require(Int64(night.id)), miloID = try #require(Int64(night.artist.id))
            #expect(try await CatalogQueries.album(id: nightID, visible: bobSees, on: app.sql) == nil)
            #expect(try await CatalogQueries.album(id: nightID, visible: annSees, on: app.sql)?.tracks.map(\.title) == ["Night One"])
            #expect(try await CatalogQueries.artist(id: miloID, visible: bobSees, on: app.sql) == nil)
            #expect(try await CatalogQueries.artist(id: miloID, visible: annSees, on: app.sql)?.albums.map(\.title) == ["Night"])
            #expect(try await CatalogQueries.artists(ids: [miloID], visible: bobSees, on: app.sql).isEmpty)
            #expect(try await CatalogQueries.albums(visible: bobSees, paging: Self.page, ids: [nightID], on: app.sql).isEmpty)

            // A library filter naming a library the caller cannot see narrows to nothing.
            #expect(
                try await CatalogQueries.tracks(visible: bobSees, filters: .init(libraryID: secretLibrary), paging: Self.page, on: app.sql).isEmpty)
            #expect(
                try await CatalogQueries.albums(visible: bobSees, filters: .init(libraryID: secretLibrary), paging: Self.page, on: app.sql).isEmpty)
            #expect(
                try await CatalogQueries.tracks(visible: annSees, filters: .init(libraryID: secretLibrary), paging: Self.page, on: app.sql)
                    .map(\.title) == ["Night One"])
            // No visible library at all: nothing, not everything.
            #expect(try await CatalogQueries.albums(visible: [], paging: Self.page, on: app.sql).isEmpty)
            #expect(try await CatalogQueries.tracks(visible: [], paging: Self.page, on: app.sql).isEmpty)
        }
    }

    /// One release (by MusicBrainz id) with a track in the shared library and one in ann's private
    /// library is two albums, one per library: the private one's title, tracks and cover never
    /// reach bob, and nothing bob can see depends on what the private library holds.
    @Test func aReleaseInTwoLibrariesIsAnAlbumInEach() async throws {
        let shared = try AudioFixtures.temporaryDirectory("shared"), secret = try AudioFixtures.temporaryDirectory("secret")
        defer { Self.removing(shared, secret) }
        let release = ["MUSICBRAINZ_ALBUMID": "0b6e3e3a-0000-4000-8000-00000000cccc"]
        try Self.write(shared, "x/1.flac", Self.tags("Side A", album: "Split", track: 1, extra: release))
        try Self.write(secret, "y/2.flac", Self.tags("Side B", album: "Split", track: 2, extra: release), frequency: 550)
        try await withApp { app in
            let ann = try await Self.principal(app, "ann"), bob = try await Self.principal(app, "bob")
            _ = try await Self.library(app, root: shared)
            _ = try await Self.library(app, root: secret, owner: ann.userID, visibility: .private)
            let annSees = try await Self.visible(app, ann), bobSees = try await Self.visible(app, bob)

            let bobAlbums = try await CatalogQueries.albums(visible: bobSees, paging: Self.page, on: app.sql)
            let annAlbums = try await CatalogQueries.albums(visible: annSees, paging: Self.page, on: app.sql)
            #expect(bobAlbums.map(\.title) == ["Split"])
            #expect(annAlbums.map(\.title) == ["Split", "Split"])
            #expect(Set(annAlbums.map(\.id)).contains(try #require(bobAlbums.first?.id)))
            #expect(bobAlbums.first?.trackCount == 1)
            #expect(annAlbums.map(\.trackCount) == [1, 1])
            let bobTracks = try await CatalogQueries.tracks(visible: bobSees, paging: Self.page, on: app.sql)
            #expect(bobTracks.map(\.title) == ["Side A"])
            #expect(bobAlbums.first?.durationMs == bobTracks.map(\.durationMs).reduce(0, +))

            let albumID = try #require(bobAlbums.first.flatMap { Int64($0.id) })
            #expect(try await CatalogQueries.album(id: albumID, visible: bobSees, on: app.sql)?.tracks.map(\.title) == ["Side A"])
            #expect(try await CatalogQueries.album(id: albumID, visible: annSees, on: app.sql)?.tracks.map(\.title) == ["Side A"])
            #expect(try await CatalogQueries.artists(visible: bobSees, paging: Self.page, on: app.sql).first?.trackCount == 1)
            #expect(try await CatalogQueries.artists(visible: annSees, paging: Self.page, on: app.sql).first?.trackCount == 2)
        }
    }

    // MARK: ordering and paging

    @Test func albumsAndTracksSortIgnoringALeadingArticleAndPageWithoutOverlap() async throws {
        let root = try AudioFixtures.temporaryDirectory("music")
        defer { Self.removing(root) }
        try Self.write(root, "1/01.mp3", Self.tags("Cat", album: "alpha", year: 2003))
        try Self.write(root, "2/01.mp3", Self.tags("The Ant", album: "The Beta", year: 2001), frequency: 330)
        try Self.write(root, "3/01.mp3", Self.tags("bee", album: "Gamma", year: 1999), frequency: 550)
        try Self.write(root, "4/01.mp3", Self.tags("Dog", album: "Delta", year: nil), frequency: 660)
        try await withApp { app in
            _ = try await Self.library(app, root: root)
            let visible = try await Self.visible(app, try await Self.principal(app, "bob"))
            func albums(_ sort: CatalogQueries.AlbumSort, limit: Int = 50, offset: Int = 0) async throws -> [String] {
                try await CatalogQueries.albums(visible: visible, sort: sort, paging: .init(limit: limit, offset: offset), on: app.sql).map(\.title)
            }
            func tracks(_ sort: CatalogQueries.TrackSort, limit: Int = 50, offset: Int = 0) async throws -> [String] {
                try await CatalogQueries.tracks(visible: visible, sort: sort, paging: .init(limit: limit, offset: offset), on: app.sql).map(\.title)
            }
            #expect(try await albums(.name) == ["alpha", "The Beta", "Delta", "Gamma"])
            #expect(try await albums(.name, limit: 3) == ["alpha", "The Beta", "Delta"])
            #expect(try await albums(.name, limit: 3, offset: 3) == ["Gamma"])
            #expect(try await albums(.name, limit: 3, offset: 4) == [])
            // An album without a year sorts as year 0.
            #expect(try await albums(.year) == ["Delta", "Gamma", "The Beta", "alpha"])
            #expect(try await albums(.yearDescending) == ["alpha", "The Beta", "Gamma", "Delta"])

            #expect(try await tracks(.title) == ["The Ant", "bee", "Cat", "Dog"])
            #expect(try await tracks(.title, limit: 2) == ["The Ant", "bee"])
            #expect(try await tracks(.title, limit: 2, offset: 2) == ["Cat", "Dog"])
            #expect(try await tracks(.title, limit: 2, offset: 4) == [])
            #expect(try await tracks(.year) == ["Dog", "bee", "The Ant", "Cat"])
            // A random order is still each album once.
            #expect(try await albums(.random).sorted() == ["Delta", "Gamma", "The Beta", "alpha"])
        }
    }

    @Test func anAlbumListsItsTracksInDiscAndTrackOrderWithItsLength() async throws {
        let root = try AudioFixtures.temporaryDirectory("music")
        defer { Self.removing(root) }
        try Self.write(root, "Glass Echo/a.mp3", Self.tags("Alpha", album: "Glass Echo", track: 2))
        try Self.write(root, "Glass Echo/b.mp3", Self.tags("Zulu", album: "Glass Echo", track: 1), frequency: 550)
        try Self.write(root, "Glass Echo/c.mp3", Self.tags("Mike", album: "Glass Echo", track: 3), frequency: 660)
        try await withApp { app in
            _ = try await Self.library(app, root: root)
            let visible = try await Self.visible(app, try await Self.principal(app, "bob"))
            let album = try #require(try await CatalogQueries.albums(visible: visible, paging: Self.page, on: app.sql).first)
            let albumID = try #require(Int64(album.id))
            let detail = try #require(try await CatalogQueries.album(id: albumID, visible: visible, on: app.sql))
            #expect(detail.tracks.map(\.title) == ["Zulu", "Alpha", "Mike"])
            #expect(detail.tracks.map(\.trackNumber) == [1, 2, 3])
            #expect(detail.album.trackCount == 3)
            #expect(album.trackCount == 3)
            #expect(album.durationMs == detail.tracks.map(\.durationMs).reduce(0, +))
            #expect(album.durationMs > 0)
            #expect(detail.tracks.allSatisfy { $0.album.id == album.id && $0.files.count == 1 })
        }
    }

    // MARK: search

    /// Shared: two "Glass" tracks by The Kaloven, "100% Night" by Milo. Ann's private: "Glass Secret" by Sable.
    static func searchCatalog(_ app: Application, shared: URL, secret: URL) async throws -> (ann: [Int64], bob: [Int64]) {
        try Self.write(shared, "k/1.mp3", Self.tags("Glass One", album: "Glass Echo", artist: "The Kaloven", track: 1))
        try Self.write(shared, "k/2.mp3", Self.tags("Glassy Two", album: "Glass Echo", artist: "The Kaloven", track: 2), frequency: 550)
        try Self.write(shared, "m/1.mp3", Self.tags("100% Night", album: "Night", artist: "Milo"), frequency: 660)
        try Self.write(secret, "s/1.mp3", Self.tags("Glass Secret", album: "Hidden", artist: "Sable"), frequency: 770)
        let ann = try await Self.principal(app, "ann"), bob = try await Self.principal(app, "bob")
        _ = try await Self.library(app, root: shared)
        _ = try await Self.library(app, root: secret, owner: ann.userID, visibility: .private)
        return (try await Self.visible(app, ann), try await Self.visible(app, bob))
    }

    @Test func searchIsCaseInsensitiveLiteralAndScopedToVisibleLibraries() async throws {
        let shared = try AudioFixtures.temporaryDirectory("shared"), secret = try AudioFixtures.temporaryDirectory("secret")
        defer { Self.removing(shared, secret) }
        try await withApp { app in
            let (annSees, bobSees) = try await Self.searchCatalog(app, shared: shared, secret: secret)
            func tracks(_ term: String, _ visible: [Int64]) async throws -> [String] {
                try await CatalogQueries.tracks(visible: visible, paging: Self.page, search: term, on: app.sql).map(\.title)
            }
            func albums(_ term: String, _ visible: [Int64]) async throws -> [String] {
                try await CatalogQueries.albums(visible: visible, paging: Self.page, search: term, on: app.sql).map(\.title)
            }
            func artists(_ term: String, _ visible: [Int64]) async throws -> [String] {
                try await CatalogQueries.artists(visible: visible, paging: Self.page, search: term, on: app.sql).map(\.name)
            }
            #expect(try await tracks("GLASS", bobSees) == ["Glass One", "Glassy Two"])
            #expect(try await tracks("glass", annSees) == ["Glass One", "Glass Secret", "Glassy Two"])
            #expect(try await tracks("gLaSsY", bobSees) == ["Glassy Two"])
            // LIKE wildcards in a search are plain characters.
            #expect(try await tracks("%", bobSees) == ["100% Night"])
            #expect(try await tracks("100%", bobSees) == ["100% Night"])
            #expect(try await tracks("_", bobSees) == [])
            #expect(try await tracks("zzz", annSees) == [])

            #expect(try await albums("ECHO", bobSees) == ["Glass Echo"])
            #expect(try await albums("hidden", bobSees) == [])
            #expect(try await albums("hidden", annSees) == ["Hidden"])

            // Artists by name, with or without the article, in any case.
            #expect(try await artists("KALOVEN", bobSees) == ["The Kaloven"])
            #expect(try await artists("the kal", bobSees) == ["The Kaloven"])
            #expect(try await artists("sable", bobSees) == [])
            #expect(try await artists("SABLE", annSees) == ["Sable"])
        }
    }

    /// The Subsonic search answers from an in-memory index; it must find what the SQL search finds
    /// (and, with these names, where ranking and catalog order agree, in the same order, page for
    /// page), for every caller.
    @Test func theInMemorySearchIndexAnswersLikeTheSQLSearch() async throws {
        let shared = try AudioFixtures.temporaryDirectory("shared"), secret = try AudioFixtures.temporaryDirectory("secret")
        defer { Self.removing(shared, secret) }
        try await withApp { app in
            let (annSees, bobSees) = try await Self.searchCatalog(app, shared: shared, secret: secret)
            let version = try await CatalogCache.version(on: app.sql)
            for visible in [annSees, bobSees] {
                for term in ["glass", "GLASS", "the", "kal", "o", "%", "night", "zzz"] {
                    for paging in [CatalogQueries.Paging(limit: 50, offset: 0), .init(limit: 1, offset: 1)] {
                        let indexed = try await app.search(
                            term, visible: visible, version: version, artists: paging, albums: paging,
                            tracks: paging, on: app.sql)
                        let artists = try await CatalogQueries.artists(visible: visible, paging: paging, search: term, on: app.sql)
                        let albums = try await CatalogQueries.albums(visible: visible, paging: paging, search: term, on: app.sql)
                        let tracks = try await CatalogQueries.tracks(visible: visible, paging: paging, search: term, on: app.sql)
                        let context = "term \(term), visible \(visible), offset \(paging.offset)"
                        #expect(indexed.artists.map(\.id) == artists.map(\.id), "\(context)")
                        #expect(indexed.albums.map(\.id) == albums.map(\.id), "\(context)")
                        #expect(indexed.tracks.map(\.id) == tracks.map(\.id), "\(context)")
                        #expect(indexed.albums.map(\.trackCount) == albums.map(\.trackCount), "\(context)")
                    }
                }
            }
        }
    }

    // MARK: filters

    @Test func genreYearAndArtistFiltersNarrowAlbumsAndTracks() async throws {
        let root = try AudioFixtures.temporaryDirectory("music")
        defer { Self.removing(root) }
        try Self.write(root, "k/1.mp3", Self.tags("Glass One", album: "Glass Echo", artist: "Kaloven", year: 2004, genre: "Rock"))
        try Self.write(root, "m/1.mp3", Self.tags("Night One", album: "Night", artist: "Milo", year: 1999, genre: "Jazz"), frequency: 550)
        try Self.write(root, "d/1.mp3", Self.tags("Dawn One", album: "Dawn", artist: "Milo", year: 2010, genre: "Rock"), frequency: 660)
        try await withApp { app in
            _ = try await Self.library(app, root: root)
            let visible = try await Self.visible(app, try await Self.principal(app, "bob"))
            func albums(_ filters: CatalogQueries.Filters) async throws -> [String] {
                try await CatalogQueries.albums(visible: visible, filters: filters, paging: Self.page, on: app.sql).map(\.title)
            }
            func tracks(_ filters: CatalogQueries.Filters) async throws -> [String] {
                try await CatalogQueries.tracks(visible: visible, filters: filters, paging: Self.page, on: app.sql).map(\.title)
            }
            #expect(try await tracks(.init(genre: "ROCK")) == ["Dawn One", "Glass One"])
            #expect(try await albums(.init(genre: "jazz")) == ["Night"])
            #expect(try await albums(.init(genre: "Polka")) == [])
            #expect(try await albums(.init(fromYear: 2000)) == ["Dawn", "Glass Echo"])
            #expect(try await albums(.init(toYear: 2000)) == ["Night"])
            #expect(try await albums(.init(fromYear: 2000, toYear: 2005)) == ["Glass Echo"])
            #expect(try await tracks(.init(fromYear: 2005)) == ["Dawn One"])

            let milo = try #require(
                try await CatalogQueries.artists(visible: visible, paging: Self.page, on: app.sql)
                    .first { $0.name == "Milo" })
            let miloID = try #require(Int64(milo.id))
            #expect(milo.albumCount == 2 && milo.trackCount == 2)
            #expect(try await albums(.init(artistID: miloID)) == ["Dawn", "Night"])
            #expect(try await tracks(.init(genre: "rock", artistID: miloID)) == ["Dawn One"])

            let genres = try await CatalogQueries.genres(visible: visible, on: app.sql)
            #expect(genres.map(\.name) == ["Jazz", "Rock"])
            #expect(genres.map(\.trackCount) == [1, 2])
            #expect(genres.map(\.albumCount) == [1, 2])
        }
    }

    // MARK: artists

    /// A compilation is filed under "Various Artists", who has no track credits: listed among album
    /// artists and found by id (a starred artist), while the guests list the compilation as theirs.
    @Test func compilationArtistsAreFoundByIDAndGuestsListTheCompilation() async throws {
        let root = try AudioFixtures.temporaryDirectory("music")
        defer { Self.removing(root) }
        try Self.write(root, "comp/01.mp3", Self.tags("Guest Spot", album: "Comp", artist: "Kaloven", albumArtist: "Various Artists", track: 1))
        try Self.write(
            root, "comp/02.mp3", Self.tags("Night Cap", album: "Comp", artist: "Milo", albumArtist: "Various Artists", track: 2),
            frequency: 550)
        try Self.write(root, "k/01.mp3", Self.tags("Glass One", album: "Glass Echo", artist: "Kaloven"), frequency: 660)
        try await withApp { app in
            _ = try await Self.library(app, root: root)
            let visible = try await Self.visible(app, try await Self.principal(app, "bob"))
            let credited = try await CatalogQueries.artists(visible: visible, paging: Self.page, on: app.sql)
            #expect(credited.map(\.name) == ["Kaloven", "Milo"])
            let filed = try await CatalogQueries.artists(visible: visible, paging: Self.page, albumArtistsOnly: true, on: app.sql)
            #expect(filed.map(\.name) == ["Kaloven", "Various Artists"])

            let comp = try #require(try await CatalogQueries.albums(visible: visible, paging: Self.page, on: app.sql).first { $0.title == "Comp" })
            #expect(comp.artist.name == "Various Artists")
            #expect(comp.trackCount == 2)
            let various = try #require(Int64(comp.artist.id))
            let kaloven = try #require(credited.first.flatMap { Int64($0.id) })

            let byID = try await CatalogQueries.artists(ids: [various, kaloven], visible: visible, on: app.sql)
            #expect(byID.map(\.name) == ["Various Artists", "Kaloven"])
            #expect(byID.last?.albumCount == 2)
            #expect(byID.last?.trackCount == 2)

            let variousDetail = try #require(try await CatalogQueries.artist(id: various, visible: visible, on: app.sql))
            #expect(variousDetail.albums.map(\.title) == ["Comp"])
            #expect(variousDetail.artist.trackCount == 2)
            let kalovenDetail = try #require(try await CatalogQueries.artist(id: kaloven, visible: visible, on: app.sql))
            #expect(kalovenDetail.albums.map(\.title) == ["Comp", "Glass Echo"])
        }
    }
}

@testable import CadenzaServer
import CadenzaTestSupport
import Fluent
import Foundation
import SQLKit
import Testing
import Vapor

/// `PlaylistStore`: who sees which playlists, track lists in order, and what of a playlist a
/// viewer may see of its tracks.
@Suite struct PlaylistStoreTests {
    static func principal(_ app: Application, _ name: String, role: UserRole = .user) async throws -> Principal {
        let (id, _) = try await app.makeUser(name, role: role)
        return Principal(userID: id, username: name, role: role, method: .token(id: 0))
    }

    /// A playlist as the API creates one (created and updated at 1 ms, so a change shows).
    static func playlist(_ app: Application, owner: Principal, _ name: String, isPublic: Bool, tracks: [Int64] = []) async throws -> Int64 {
        let row = try await app.sql.raw(
            """
            INSERT INTO playlists (owner_id, name, public, created_at, updated_at)
            VALUES (\(bind: owner.userID), \(bind: name), \(bind: isPublic), 1, 1) RETURNING id
            """
        ).first()
        let id = try #require(try row?.decode(column: "id", as: Int64.self))
        if !tracks.isEmpty { try await PlaylistStore.insertTracks(id, tracks, from: 0, on: app.sql) }
        return id
    }

    /// Scans `files` (path → title) into a library; returns track ids by title.
    static func scan(_ app: Application, root: URL, files: [String: String], owner: Principal? = nil) async throws -> [String: Int64] {
        for (index, file) in files.sorted(by: { $0.key < $1.key }).enumerated() {
            try AudioFixtures.audio(
                at: root.appendingPathComponent(file.key).path,
                metadata: [
                    "title": file.value, "artist": "Kaloven", "album_artist": "Kaloven", "album": "Album \(file.value)",
                    "track": "1",
                ],
                frequency: 330 + 110 * index)
        }
        let library = try await Libraries.create(
            name: owner.map { "\($0.username)'s" } ?? "Music", ownerID: owner?.userID,
            visibility: owner == nil ? .instance : .private, kind: .folders, on: app.sql)
        let folder = try await Libraries.addFolder(libraryID: library.id, path: root.path, on: app.sql)
        _ = try await LibraryScanner.scan(folderID: folder.id, full: false, app: app, logger: app.logger)
        var ids: [String: Int64] = [:]
        for row in try await app.sql.raw("SELECT id, title FROM tracks WHERE library_id = \(bind: library.id)").all() {
            ids[try row.decode(column: "title", as: String.self)] = try row.decode(column: "id", as: Int64.self)
        }
        #expect(ids.count == files.count)
        return ids
    }

    @Test func viewersSeeTheirOwnAndPublicPlaylistsButNotOthersPrivateOnes() async throws {
        try await withApp { app in
            let ann = try await Self.principal(app, "ann"), bob = try await Self.principal(app, "bob")
            let boss = try await Self.principal(app, "boss", role: .admin), cat = try await Self.principal(app, "cat")
            _ = try await Self.playlist(app, owner: ann, "Road Trip", isPublic: true)
            _ = try await Self.playlist(app, owner: ann, "Secret Mix", isPublic: false)
            _ = try await Self.playlist(app, owner: bob, "Bob Mix", isPublic: false)
            func names(_ viewer: Principal) async throws -> [String] {
                try await PlaylistStore.visible(to: viewer, on: app.sql).map(\.name)
            }
            #expect(try await names(ann) == ["Road Trip", "Secret Mix"])
            #expect(try await names(bob) == ["Bob Mix", "Road Trip"])
            #expect(try await names(cat) == ["Road Trip"])
            #expect(try await names(boss) == ["Bob Mix", "Road Trip", "Secret Mix"])
            let road = try #require(try await PlaylistStore.visible(to: bob, on: app.sql).first { $0.name == "Road Trip" })
            #expect(road.owner == "ann" && road.ownerID == ann.userID && road.isPublic)
        }
    }

    @Test func searchingPlaylistNamesIsCaseAndTypoTolerantAndFindsOnlyVisibleOnes() async throws {
        try await withApp { app in
            let ann = try await Self.principal(app, "ann"), bob = try await Self.principal(app, "bob")
            let boss = try await Self.principal(app, "boss", role: .admin)
            _ = try await Self.playlist(app, owner: ann, "Road Trip", isPublic: true)
            _ = try await Self.playlist(app, owner: ann, "Secret Mix", isPublic: false)
            _ = try await Self.playlist(app, owner: bob, "Bob Mix", isPublic: false)
            func search(_ viewer: Principal, _ text: String, limit: Int = 10) async throws -> [String] {
                try await PlaylistStore.visible(to: viewer, nameMatching: text, limit: limit, on: app.sql).map(\.name)
            }
            #expect(try await search(bob, "MIX") == ["Bob Mix"])
            #expect(try await search(ann, "mix") == ["Secret Mix"])
            #expect(try await search(boss, "Mix") == ["Bob Mix", "Secret Mix"])
            #expect(try await search(boss, "mix", limit: 1) == ["Bob Mix"])
            #expect(try await search(bob, "road  TRIP") == ["Road Trip"])
            #expect(try await search(bob, "secret") == [])
            #expect(try await search(bob, "raod trp") == ["Road Trip"])  // a swap and a missing letter
        }
    }

    @Test func aPlaylistHoldsAtMostTenThousandTracksWhateverTheRequestSize() async throws {
        let root = try AudioFixtures.temporaryDirectory("cap")
        defer { try? FileManager.default.removeItem(at: root) }
        try await withApp { app in
            let ann = try await Self.principal(app, "ann")
            let track = try #require(try await Self.scan(app, root: root, files: ["a.mp3": "One"])["One"])
            let id = try await Self.playlist(app, owner: ann, "big", isPublic: false, tracks: Array(repeating: track, count: 9_990))
            // Small adds until the whole reaches the cap: the tenth more fits, the eleventh does not.
            try await PlaylistStore.insertTracks(id, Array(repeating: track, count: 10), from: 9_990, on: app.sql)
            await #expect(throws: APIError.self) { try await PlaylistStore.insertTracks(id, [track], from: 10_000, on: app.sql) }
            await #expect(throws: APIError.self) { try await PlaylistStore.replaceTracks(id, Array(repeating: track, count: 10_001), on: app.db) }
            #expect(try await PlaylistStore.trackIDs(id, on: app.sql).count == 10_000)
        }
    }

    @Test func replacingTheTrackListReordersRemovesAndKeepsRepeats() async throws {
        let root = try AudioFixtures.temporaryDirectory("music")
        defer { try? FileManager.default.removeItem(at: root) }
        try await withApp { app in
            let ann = try await Self.principal(app, "ann")
            let t = try await Self.scan(app, root: root, files: ["a/1.mp3": "Alpha", "b/1.mp3": "Bravo", "c/1.mp3": "Charlie"])
            let a = try #require(t["Alpha"]), b = try #require(t["Bravo"]), c = try #require(t["Charlie"])
            let list = try await Self.playlist(app, owner: ann, "Road Trip", isPublic: false, tracks: [a, b, c])
            let other = try await Self.playlist(app, owner: ann, "Other", isPublic: false, tracks: [b])
            let empty = try await Self.playlist(app, owner: ann, "Empty", isPublic: false)
            #expect(try await PlaylistStore.trackIDs(list, on: app.sql) == [a, b, c])

            try await PlaylistStore.replaceTracks(list, [c, a, c], on: app.db)
            #expect(try await PlaylistStore.trackIDs(list, on: app.sql) == [c, a, c])
            #expect(try await PlaylistStore.trackIDs(other, on: app.sql) == [b])
            let record = try #require(try await PlaylistStore.load("p.id = \(bind: list)", on: app.sql).first)
            #expect(record.updatedAt > 1)
            let counts = try await PlaylistStore.trackCounts([list, other, empty], on: app.sql)
            #expect(counts == [list: 3, other: 1])

            // Appending continues after the last position, as the API does.
            try await PlaylistStore.insertTracks(other, [a, b], from: 1, on: app.sql)
            #expect(try await PlaylistStore.trackIDs(other, on: app.sql) == [b, a, b])

            try await PlaylistStore.replaceTracks(list, [], on: app.db)
            #expect(try await PlaylistStore.trackIDs(list, on: app.sql) == [])
            #expect(try await PlaylistStore.trackCounts([list], on: app.sql)[list] == nil)
        }
    }

    /// Ann's public playlist holds a track of her private library: Bob sees the playlist but not
    /// that track, in its count or its length.
    @Test func summariesCountOnlyTheTracksTheViewerMaySee() async throws {
        let shared = try AudioFixtures.temporaryDirectory("shared"), secret = try AudioFixtures.temporaryDirectory("secret")
        defer {
            try? FileManager.default.removeItem(at: shared)
            try? FileManager.default.removeItem(at: secret)
        }
        try await withApp { app in
            let ann = try await Self.principal(app, "ann"), bob = try await Self.principal(app, "bob")
            let sharedTracks = try await Self.scan(app, root: shared, files: ["a/1.mp3": "Alpha", "b/1.mp3": "Bravo"])
            let privateTracks = try await Self.scan(app, root: secret, files: ["d/1.mp3": "Delta"], owner: ann)
            let a = try #require(sharedTracks["Alpha"]), b = try #require(sharedTracks["Bravo"]), d = try #require(privateTracks["Delta"])
            let list = try await Self.playlist(app, owner: ann, "Road Trip", isPublic: true, tracks: [a, d, b])
            let annSees = try await Libraries.visibleIDs(for: ann, on: app.sql), bobSees = try await Libraries.visibleIDs(for: bob, on: app.sql)
            #expect(try await PlaylistStore.visible(to: bob, on: app.sql).map(\.id) == [list])

            let everyTrack = try await CatalogQueries.tracks(visible: annSees, paging: .init(limit: 10, offset: 0), on: app.sql)
            func length(_ ids: [Int64]) -> Int {
                everyTrack.filter { ids.contains(Int64($0.id) ?? -1) }.map(\.durationMs).reduce(0, +)
            }
            let forBob = try #require(try await PlaylistStore.visibleSummaries([list], visible: bobSees, on: app.sql)[list])
            let forAnn = try #require(try await PlaylistStore.visibleSummaries([list], visible: annSees, on: app.sql)[list])
            #expect(forBob.count == 2 && forBob.durationMs == length([a, b]))
            #expect(forAnn.count == 3 && forAnn.durationMs == length([a, b, d]))
            #expect(forBob.durationMs < forAnn.durationMs)
            #expect(try await PlaylistStore.visibleSummaries([list], visible: [], on: app.sql).isEmpty)

            #expect(try await PlaylistStore.visibleTrackIDs([a, d, b, 9_999_999], visible: bobSees, on: app.sql) == [a, b])
            #expect(try await PlaylistStore.visibleTrackIDs([a, d, b, 9_999_999], visible: annSees, on: app.sql) == [a, b, d])
            // The stored list is unchanged by who looks at it.
            #expect(try await PlaylistStore.trackIDs(list, on: app.sql) == [a, d, b])
        }
    }
}

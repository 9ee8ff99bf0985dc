@testable import CadenzaServer
import CadenzaTestSupport
import Fluent
import Foundation
import SQLKit
import Testing
import Vapor

/// Reading listens back (`ListenQueries`), deleting one (`ListenStore.delete`) and playing-now (`PlayingNow`).
@Suite struct ListenQueriesTests {
    static func listen(_ artist: String, _ title: String, at ts: Int64?, release: String? = nil, durationMs: Int64? = nil) -> IncomingListen {
        IncomingListen(
            listenedAt: ts, trackName: title, artistName: artist, releaseName: release, recordingMBID: nil, releaseMBID: nil,
            releaseGroupMBID: nil, artistMBIDs: [], durationMs: durationMs, additionalInfo: [:], trackID: nil)
    }

    static func owner(_ app: Application, _ name: String) async throws -> ListenOwner {
        let (id, _) = try await app.makeUser(name)
        return try #require(try await ListenOwner.load(userID: id, on: app.sql))
    }

    @discardableResult
    static func ingest(_ app: Application, _ listens: [IncomingListen], as owner: ListenOwner) async throws -> ListenStore.Outcome {
        try await app.db.writeTransaction { tx in
            try await ListenStore.ingest(listens, owner: owner, source: "test", on: tx.sql)
        }
    }

    /// The listened-at times of a page, relative to `base`.
    static func times(_ listens: [ListenJSON], from base: Int64) -> [Int64] {
        listens.compactMap(\.listened_at).map { $0 - base }
    }

    /// Ann's "Song 1" … "Song 5" at base+10 … base+50, and one of Bob's in between.
    static func fiveListens(_ app: Application) async throws -> (ann: ListenOwner, bob: ListenOwner, base: Int64) {
        let ann = try await Self.owner(app, "ann"), bob = try await Self.owner(app, "bob")
        let base = Clock.nowMillis() / 1000 - 100_000
        try await Self.ingest(app, (1...5).map { Self.listen("Kaloven", "Song \($0)", at: base + Int64($0) * 10) }, as: ann)
        try await Self.ingest(app, [Self.listen("Milo", "Bob's Song", at: base + 25)], as: bob)
        return (ann, bob, base)
    }

    @Test func listensComeNewestFirstAndPageBackwardWithMaxTS() async throws {
        try await withApp { app in
            let (ann, bob, base) = try await Self.fiveListens(app)
            func read(_ owner: ListenOwner, max: Int64?, count: Int) async throws -> [ListenJSON] {
                try await ListenQueries.listens(
                    owner: owner, minTS: nil, maxTS: max.map { base + $0 }, count: count, visibleLibraries: [],
                    on: app.sql)
            }
            let all = try await read(ann, max: nil, count: 100)
            #expect(Self.times(all, from: base) == [50, 40, 30, 20, 10])
            #expect(all.map(\.track_metadata.track_name) == ["Song 5", "Song 4", "Song 3", "Song 2", "Song 1"])
            #expect(all.allSatisfy { $0.user_name == "ann" && $0.recording_msid != nil })
            #expect(try await Self.times(read(bob, max: nil, count: 100), from: base) == [25])

            // max_ts is exclusive: each page starts below the last one's oldest listen.
            #expect(try await Self.times(read(ann, max: nil, count: 2), from: base) == [50, 40])
            #expect(try await Self.times(read(ann, max: 40, count: 2), from: base) == [30, 20])
            #expect(try await Self.times(read(ann, max: 20, count: 2), from: base) == [10])
            #expect(try await read(ann, max: 10, count: 2).isEmpty)

            let annBounds = try await ListenQueries.bounds(userID: ann.userID, on: app.sql)
            #expect(annBounds.count == 5 && annBounds.oldest == base + 10 && annBounds.latest == base + 50)
            let bobBounds = try await ListenQueries.bounds(userID: bob.userID, on: app.sql)
            #expect(bobBounds.count == 1 && bobBounds.oldest == base + 25 && bobBounds.latest == base + 25)
        }
    }

    @Test func minTSPagesForwardButStillAnswersNewestFirst() async throws {
        try await withApp { app in
            let (ann, _, base) = try await Self.fiveListens(app)
            func read(min: Int64?, max: Int64?, count: Int) async throws -> [Int64] {
                try await Self.times(
                    ListenQueries.listens(
                        owner: ann, minTS: min.map { base + $0 }, maxTS: max.map { base + $0 }, count: count,
                        visibleLibraries: [], on: app.sql), from: base)
            }
            // The `count` listens right after min_ts (exclusive), newest of them first.
            #expect(try await read(min: 10, max: nil, count: 2) == [30, 20])
            #expect(try await read(min: 30, max: nil, count: 5) == [50, 40])
            #expect(try await read(min: 50, max: nil, count: 5) == [])
            // Both bounds: strictly between them, the newest first.
            #expect(try await read(min: 10, max: 50, count: 10) == [40, 30, 20])
            #expect(try await read(min: 10, max: 50, count: 2) == [40, 30])
        }
    }

    @Test func anExportPagesOldestFirstThroughListensSharingATimestamp() async throws {
        try await withApp { app in
            let ann = try await Self.owner(app, "ann"), bob = try await Self.owner(app, "bob")
            let t = Clock.nowMillis() / 1000 - 100_000
            try await Self.ingest(
                app,
                [
                    Self.listen("Kaloven", "B Song", at: t), Self.listen("Kaloven", "A Song", at: t),
                    Self.listen("Kaloven", "C Song", at: t + 1),
                ], as: ann)
            try await Self.ingest(app, [Self.listen("Milo", "A Song", at: t - 1)], as: bob)
            func page(after: (Int64, String)?, limit: Int) async throws -> [String] {
                try await ListenQueries.page(owner: ann, after: after, limit: limit, on: app.sql).map(\.track_metadata.track_name)
            }
            #expect(try await page(after: nil, limit: 10) == ["A Song", "B Song", "C Song"])
            #expect(try await page(after: nil, limit: 1) == ["A Song"])
            #expect(try await page(after: (t, "A Song"), limit: 1) == ["B Song"])
            #expect(try await page(after: (t, "B Song"), limit: 2) == ["C Song"])
            #expect(try await page(after: (t + 1, "C Song"), limit: 2) == [])
        }
    }

    @Test func deletingAListenRemovesOnlyThatListen() async throws {
        try await withApp { app in
            let (ann, bob, base) = try await Self.fiveListens(app)
            let before = try await ListenQueries.listens(owner: ann, minTS: nil, maxTS: nil, count: 100, visibleLibraries: [], on: app.sql)
            let target = try #require(before.first { $0.track_metadata.track_name == "Song 3" })
            let msid = try #require(target.recording_msid)
            let listenedAt = try #require(target.listened_at)
            // Bob cannot delete Ann's listen through his own listens.
            let bobs = try await app.db.writeTransaction { tx in
                try await ListenStore.delete(owner: bob, listenedAt: listenedAt, msid: msid, on: tx.sql)
            }
            #expect(!bobs)
            let deleted = try await app.db.writeTransaction { tx in
                try await ListenStore.delete(owner: ann, listenedAt: listenedAt, msid: msid, on: tx.sql)
            }
            #expect(deleted)
            let after = try await ListenQueries.listens(owner: ann, minTS: nil, maxTS: nil, count: 100, visibleLibraries: [], on: app.sql)
            #expect(Self.times(after, from: base) == [50, 40, 20, 10])
            let bounds = try await ListenQueries.bounds(userID: ann.userID, on: app.sql)
            #expect(bounds.count == 4 && bounds.oldest == base + 10 && bounds.latest == base + 50)
            #expect(try await ListenStore.count(userID: bob.userID, on: app.sql) == 1)

            // Deleting the newest listen moves the latest bound back.
            let newest = try #require(after.first)
            let gone = try await app.db.writeTransaction { tx in
                try await ListenStore.delete(owner: ann, listenedAt: base + 50, msid: newest.recording_msid ?? "", on: tx.sql)
            }
            #expect(gone)
            #expect(try await ListenQueries.bounds(userID: ann.userID, on: app.sql).latest == base + 40)
        }
    }

    /// A listen of a song in the listener's private library counts a play of that track, but the
    /// dictionary every user's listens share never names a private track (another user's listen
    /// of the same song must not be matched to it).
    @Test func aPrivateTrackCountsItsOwnersPlaysAndIsNamedToNoOne() async throws {
        let root = try AudioFixtures.temporaryDirectory("secret")
        defer { try? FileManager.default.removeItem(at: root) }
        try AudioFixtures.audio(
            at: root.appendingPathComponent("Kaloven/Glass Echo/01.mp3").path,
            metadata: ["title": "Glass One", "artist": "Kaloven", "album_artist": "Kaloven", "album": "Glass Echo", "track": "1"])
        try await withApp { app in
            let ann = try await Self.owner(app, "ann"), bob = try await Self.owner(app, "bob")
            let annPrincipal = Principal(userID: ann.userID, username: "ann", role: .user, method: .token(id: 0))
            let bobPrincipal = Principal(userID: bob.userID, username: "bob", role: .user, method: .token(id: 0))
            let library = try await Libraries.create(name: "ann's", ownerID: ann.userID, visibility: .private, kind: .folders, on: app.sql)
            let folder = try await Libraries.addFolder(libraryID: library.id, path: root.path, on: app.sql)
            _ = try await LibraryScanner.scan(folderID: folder.id, full: false, app: app, logger: app.logger)
            let annSees = Set(try await Libraries.visibleIDs(for: annPrincipal, on: app.sql))
            let bobSees = Set(try await Libraries.visibleIDs(for: bobPrincipal, on: app.sql))
            let track = try #require(try await CatalogQueries.tracks(visible: Array(annSees), paging: .init(limit: 10, offset: 0), on: app.sql).first)

            let t = Clock.nowMillis() / 1000 - 1000
            // Matched by normalised artist and title, whatever their case.
            try await Self.ingest(
                app,
                [
                    Self.listen("KALOVEN", "glass one", at: t, release: "Glass Echo"),
                    Self.listen("Nobody", "Unknown Song", at: t + 1),
                ], as: ann)
            func read(_ visible: Set<Int64>) async throws -> [String: String?] {
                let listens = try await ListenQueries.listens(owner: ann, minTS: nil, maxTS: nil, count: 10, visibleLibraries: visible, on: app.sql)
                return Dictionary(uniqueKeysWithValues: listens.map { ($0.track_metadata.track_name, $0.cadenza_track_id) })
            }
            let unnamed: [String: String?] = ["glass one": nil, "Unknown Song": nil]
            #expect(try await read(annSees) == unnamed)
            #expect(try await read(bobSees) == unnamed)
            #expect(try await read([]) == unnamed)
            // Bob listens to the same song: nothing of ann's library is matched for him.
            try await Self.ingest(app, [Self.listen("Kaloven", "Glass One", at: t + 5, release: "Glass Echo")], as: bob)
            let bobPlays = try await app.sql.raw("SELECT COUNT(*) AS n FROM play_stats WHERE user_id = \(bind: bob.userID)").first()?
                .decode(column: "n", as: Int.self)
            #expect(bobPlays == 0)
            #expect(
                try await app.sql.raw("SELECT COUNT(*) AS n FROM listen_recordings WHERE track_id IS NOT NULL").first()?
                    .decode(column: "n", as: Int.self) == 0)

            let trackID = try #require(Int64(track.id))
            let plays = try await app.sql.raw(
                """
                SELECT play_count FROM play_stats WHERE user_id = \(bind: ann.userID) AND track_id = \(bind: trackID)
                """
            ).first()?.decode(column: "play_count", as: Int.self)
            #expect(plays == 1)
        }
    }

    @Test func playingNowIsOnePerUserReplacedClearedByItsClientAndExpires() async throws {
        try await withApp { app in
            let ann = try await Self.owner(app, "ann"), bob = try await Self.owner(app, "bob")
            func set(_ title: String, client: String, durationMs: Int64? = nil) async throws {
                let listen = Self.listen("Kaloven", title, at: nil, durationMs: durationMs)
                try await app.db.writeTransaction { tx in
                    try await PlayingNow.set(listen, owner: ann, client: client, on: tx.sql)
                }
            }
            func current() async throws -> String? {
                try await PlayingNow.current(owner: ann, on: app.sql)?.track_metadata.track_name
            }
            #expect(try await current() == nil)
            try await set("Glass One", client: "web")
            #expect(try await current() == "Glass One")
            #expect(try await PlayingNow.current(owner: ann, on: app.sql)?.playing_now == true)
            #expect(try await PlayingNow.current(owner: bob, on: app.sql) == nil)

            // Another client takes over; only the client that set it clears it by name.
            try await set("Glass Two", client: "mobile")
            #expect(try await current() == "Glass Two")
            #expect(try await PlayingNow.clear(owner: ann, client: "web", on: app.sql) == false)
            #expect(try await current() == "Glass Two")
            #expect(try await PlayingNow.clear(owner: ann, client: "mobile", on: app.sql) == true)
            #expect(try await current() == nil)
            try await set("Glass Three", client: "web")
            #expect(try await PlayingNow.clear(owner: ann, client: nil, on: app.sql) == true)
            #expect(try await current() == nil)

            // It lasts the track's duration, 600 s when unknown, and is gone after.
            func lifetime() async throws -> Int64? {
                let row = try await app.sql.raw("SELECT started_at, expires_at FROM listen_playing_now WHERE user_id = \(bind: ann.userID)").first()
                return try row.map { try $0.decode(column: "expires_at", as: Int64.self) - $0.decode(column: "started_at", as: Int64.self) }
            }
            try await set("Glass One", client: "web", durationMs: 30_000)
            #expect(try await lifetime() == 30_000)
            try await set("Glass Two", client: "web")
            #expect(try await lifetime() == 600_000)
            try await app.sql.raw("UPDATE listen_playing_now SET expires_at = \(bind: Clock.nowMillis() - 1) WHERE user_id = \(bind: ann.userID)")
                .run()
            #expect(try await current() == nil)
        }
    }
}

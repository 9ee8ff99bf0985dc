import Fluent
import Foundation
import SQLKit

/// Playlists the server makes for each listener, as ListenBrainz does, refreshed in the user's
/// own time zone and replaced in place (the same playlist id: Subsonic apps see one playlist
/// whose tracks change, never a pile of old ones):
/// - Daily Mix: favourites and new finds, every local day;
/// - Weekly Exploration: recommended tracks never played, every local week (from Monday);
/// - On This Day: what they played on this date in earlier years, every local day;
/// - Rediscover: tracks they played often but not in the last 90 days, every local week.
/// A kind with nothing to hold, or whose playlist the user deleted, stays away until its next period.
enum MadeForYou {
    static let sweepJob = "discovery.made-for-you"
    static let userJob = "discovery.user-playlists"
    static let task = PeriodicTask(name: "discovery-made-for-you", interval: 3600, kind: sweepJob)
    static let size = 50

    enum Kind: String, CaseIterable, Codable, Sendable {
        case dailyMix = "daily-mix"
        case weeklyExploration = "weekly-exploration"
        case onThisDay = "on-this-day"
        case rediscover = "rediscover"

        var name: String {
            switch self {
            case .dailyMix: return "Daily Mix"
            case .weeklyExploration: return "Weekly Exploration"
            case .onThisDay: return "On This Day"
            case .rediscover: return "Rediscover"
            }
        }

        var comment: String {
            switch self {
            case .dailyMix: return "Made for you: favourites and new finds, refreshed every day."
            case .weeklyExploration: return "Made for you: tracks you have never played, refreshed every Monday."
            case .onThisDay: return "Made for you: what you played on this day in earlier years."
            case .rediscover: return "Made for you: tracks you loved and have not played for a while, refreshed every Monday."
            }
        }

        var weekly: Bool { self == .weeklyExploration || self == .rediscover }

        /// The period the playlist is for, in the user's calendar: the local day, or the local
        /// day number of the week's Monday (1970-01-01 was a Thursday).
        func period(now: Int64, calendar: LocalCalendar) -> String {
            let day = calendar.day(now)
            let sinceMonday = (day + 3) - LocalCalendar.floorDiv(day + 3, 7) * 7
            return weekly ? "w\(day - sinceMonday)" : "d\(day)"
        }
    }

    struct UserPayload: Codable, Sendable {
        var userId: Int64
        var force: Bool?
    }

    static func register(_ jobs: JobRegistry) {
        jobs.register(sweepJob) { context in
            let now = Clock.nowMillis() / 1000
            for listener in try await ListenQueries.listeners(on: context.db) {
                let due = try await dueKinds(listener, now: now, on: context.db)
                guard !due.isEmpty else { continue }
                try await JobQueue.enqueue(
                    try .init(kind: userJob, payload: UserPayload(userId: listener.userID), uniqueKey: "\(userJob):\(listener.userID)"),
                    on: context.db)
            }
        }
        jobs.register(userJob) { context in
            let payload = try context.job.decodePayload(UserPayload.self)
            guard let listener = try await ListenQueries.listener(userID: payload.userId, on: context.db) else { return }
            let now = Clock.nowMillis() / 1000
            let kinds = payload.force == true ? Kind.allCases : try await dueKinds(listener, now: now, on: context.db)
            try await refresh(listener, kinds: kinds, now: now, on: context.database)
        }
    }

    /// Queues a refresh of every kind for one user now.
    static func enqueueRefresh(userID: Int64, on db: any SQLDatabase) async throws -> Int64? {
        try await JobQueue.enqueue(
            try .init(kind: userJob, payload: UserPayload(userId: userID, force: true), uniqueKey: "\(userJob):\(userID):force"), on: db)
    }

    static func dueKinds(_ listener: ListenQueries.Listener, now: Int64, on db: any SQLDatabase) async throws -> [Kind] {
        let calendar = LocalCalendar(identifier: listener.timeZone)
        var periods: [String: String] = [:]
        for row in try await db.raw("SELECT kind, period FROM discovery_playlists WHERE user_id = \(bind: listener.userID)").all() {
            periods[try row.decode(column: "kind", as: String.self)] = try row.decode(column: "period", as: String.self)
        }
        return Kind.allCases.filter { periods[$0.rawValue] != $0.period(now: now, calendar: calendar) }
    }

    struct Made: Codable, Sendable {
        var kind: Kind
        var playlistId: Int64?
        var period: String
        var updatedAt: Int64
    }

    /// The user's made-for-you playlists that exist now.
    static func current(userID: Int64, on db: any SQLDatabase) async throws -> [Made] {
        try await db.raw(
            "SELECT kind, playlist_id, period, updated_at FROM discovery_playlists WHERE user_id = \(bind: userID) AND playlist_id IS NOT NULL"
        ).all().compactMap { row in
            guard let kind = Kind(rawValue: try row.decode(column: "kind", as: String.self)) else { return nil }
            return Made(
                kind: kind, playlistId: try row.decode(column: "playlist_id", as: Int64?.self),
                period: try row.decode(column: "period", as: String.self),
                updatedAt: try row.decode(column: "updated_at", as: Int64.self))
        }.sorted { Kind.allCases.firstIndex(of: $0.kind) ?? 0 < Kind.allCases.firstIndex(of: $1.kind) ?? 0 }
    }

    static func refresh(_ listener: ListenQueries.Listener, kinds: [Kind], now: Int64, on database: any Database) async throws {
        guard !kinds.isEmpty else { return }
        let db = database.sql
        let visible = Libraries.visibleIDs(userID: listener.userID, isAdmin: listener.isAdmin, in: try await Libraries.visibilityTable(on: db))
        let calendar = LocalCalendar(identifier: listener.timeZone)
        var contents: [(Kind, [Int64])] = []
        for kind in kinds {
            contents.append((kind, try await tracks(kind, for: listener.userID, visible: visible, now: now, calendar: calendar, on: db)))
        }
        let made = contents
        try await database.writeTransaction { tx in
            let sql = tx.sql
            // A sweep's job and an asked-for refresh may overlap for one user (PostgreSQL; SQLite writes are serial).
            if sql.dialect.name == "postgresql" {
                try await sql.raw("SELECT pg_advisory_xact_lock(\(bind: DiscoveryModel.lockKey + 1_000_000 + listener.userID))").run()
            }
            for (kind, tracks) in made {
                let existing = try await sql.raw(
                    "SELECT playlist_id FROM discovery_playlists WHERE user_id = \(bind: listener.userID) AND kind = \(bind: kind.rawValue)"
                ).first()
                var playlistID = try existing?.decode(column: "playlist_id", as: Int64?.self)
                if let id = playlistID, !(try await PlaylistStore.exists(id, ownerID: listener.userID, on: sql)) { playlistID = nil }
                if tracks.isEmpty {
                    if let id = playlistID { try await PlaylistStore.delete(id, on: sql) }
                    playlistID = nil
                } else if let id = playlistID {
                    try await PlaylistStore.refill(id, comment: kind.comment, tracks: tracks, on: sql)
                } else {
                    playlistID = try await PlaylistStore.create(
                        ownerID: listener.userID, name: kind.name, comment: kind.comment, isPublic: false, tracks: tracks, on: sql)
                }
                let period = kind.period(now: now, calendar: calendar)
                try await sql.raw(
                    "DELETE FROM discovery_playlists WHERE user_id = \(bind: listener.userID) AND kind = \(bind: kind.rawValue)"
                ).run()
                try await sql.raw(
                    """
                    INSERT INTO discovery_playlists (user_id, kind, playlist_id, period, updated_at)
                    VALUES (\(bind: listener.userID), \(bind: kind.rawValue), \(bind: playlistID), \(bind: period), \(bind: Clock.nowMillis()))
                    """
                ).run()
            }
        }
    }

    static func tracks(
        _ kind: Kind, for userID: Int64, visible: [Int64], now: Int64, calendar: LocalCalendar, on db: any SQLDatabase
    ) async throws -> [Int64] {
        switch kind {
        case .dailyMix:
            // Favourites in an order that changes every day, two of them for each new find.
            let day = calendar.day(now)
            let favourites = try await ListenQueries.topTracks(userID: userID, limit: 120, on: db)
            let seen = try await CatalogQueries.trackFacts(favourites.map(\.track), visible: visible, on: db)
            let shuffled = favourites.filter { seen[$0.track] != nil }
                .map { ($0.track, log(Double(max($0.plays, 1))) + Double(mix(day, $0.track) % 1000) / 250) }
                .sorted { $0.1 > $1.1 }.map(\.0)
            var options = Recommendations.Options()
            options.limit = size / 3
            let fresh = try await Recommendations.tracks(for: userID, visible: visible, options: options, now: now, on: db).map(\.trackID)
            // A favourite not played lately may also be a fresh pick: it comes once.
            var result: [Int64] = [], taken = Set<Int64>()
            var old = shuffled.makeIterator(), new = fresh.makeIterator()
            while result.count < size {
                var added = false
                for _ in 0..<2 { if let next = old.next() { added = true; if taken.insert(next).inserted { result.append(next) } } }
                if let next = new.next() { added = true; if taken.insert(next).inserted { result.append(next) } }
                if !added { break }
            }
            return Array(result.prefix(size))
        case .weeklyExploration:
            var options = Recommendations.Options()
            options.limit = size
            options.neverPlayed = true
            return try await Recommendations.tracks(for: userID, visible: visible, options: options, now: now, on: db).map(\.trackID)
        case .onThisDay:
            let today = LocalCalendar.civil(calendar.day(now))
            let windows: [Range<Int64>] = (1...15).compactMap { back in
                let day = LocalCalendar.dayNumber(year: today.year - Int64(back), month: today.month, day: today.day)
                let start = calendar.start(ofDay: day)
                return start..<calendar.start(ofDay: day + 1)
            }
            let played = try await ListenQueries.tracksPlayed(userID: userID, within: windows, limit: size * 2, on: db)
            let seen = try await CatalogQueries.trackFacts(played, visible: visible, on: db)
            return Array(played.filter { seen[$0] != nil }.prefix(size))
        case .rediscover:
            let forgotten = try await ListenQueries.forgottenFavourites(
                userID: userID, minPlays: 3, before: now - 90 * 86_400, limit: size * 2, on: db)
            let seen = try await CatalogQueries.trackFacts(forgotten, visible: visible, on: db)
            return Array(forgotten.filter { seen[$0] != nil }.prefix(size))
        }
    }

    /// A well-mixed number from a day and a track (the daily shuffle; the same all day).
    static func mix(_ day: Int64, _ track: Int64) -> UInt64 {
        var x = (UInt64(bitPattern: day) &* 0x9E37_79B9_7F4A_7C15) ^ UInt64(bitPattern: track)
        x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
        x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
        return x ^ (x >> 31)
    }
}

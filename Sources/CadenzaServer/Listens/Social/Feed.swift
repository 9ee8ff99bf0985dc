import Foundation
import SQLKit
import Vapor

/// The signed-in user's listening feed: their own listens and those of the people they follow
/// (whose listens they may read), newest first, and who of them is playing something now.
enum Feed {
    /// The feed reads this many followed users at most (the most recently followed first).
    static let maxFollowees = 200

    struct Page: Encodable, Sendable {
        var following: [String]
        var listens: [ListenJSON]
        var playingNow: [ListenJSON]
    }

    static func page(viewer: Principal, count: Int, on db: any SQLDatabase) async throws -> Page {
        let rows = try await db.raw(
            """
            SELECT u.id, u.username, u.time_zone, u.listens_visibility, f.created_at FROM users u
            LEFT JOIN follows f ON f.followee_id = u.id AND f.follower_id = \(bind: viewer.userID)
            WHERE u.id = \(bind: viewer.userID) OR f.follower_id IS NOT NULL
            ORDER BY CASE WHEN u.id = \(bind: viewer.userID) THEN 0 ELSE 1 END, f.created_at DESC LIMIT \(bind: maxFollowees + 1)
            """
        ).all()
        let people = try rows.map(ListenOwner.init(row:))
        let readable = people.filter { ListenAccess.canRead($0, viewer: viewer) }
        let following = people.filter { $0.userID != viewer.userID }.map(\.username)
            .sorted { $0.localizedCaseInsensitiveCompare($1) == .orderedAscending }
        // People followed on other instances: what their servers sent, kept for this viewer.
        let remote = try await RemoteListens.recent(followerID: viewer.userID, count: count, on: db)
        guard !readable.isEmpty else { return Page(following: following, listens: remote, playingNow: []) }
        let owners = Dictionary(readable.map { ($0.userID, $0) }, uniquingKeysWith: { first, _ in first })
        let visible = Set(try await Libraries.visibleIDs(for: viewer, on: db))
        let local = try await listens(of: owners, count: count, visibleLibraries: visible, on: db)
        return Page(
            following: following,
            listens: Array((local + remote).sorted { ($0.listened_at ?? 0) > ($1.listened_at ?? 0) }.prefix(count)),
            playingNow: try await playingNow(of: owners, on: db))
    }

    /// The newest `count` listens of all `owners` in one statement: each owner's newest `count`
    /// (read along the listens key) merged, so a user with a million listens costs no sort of them.
    static func listens(
        of owners: [Int64: ListenOwner], count: Int, visibleLibraries: Set<Int64>,
        on db: any SQLDatabase
    ) async throws -> [ListenJSON] {
        let parts: [SQLQueryString] = owners.keys.sorted().map { id in
            """
            SELECT * FROM (SELECT l.user_id, l.listened_at, l.inserted_at, l.track_name, l.extra, l.recording_id FROM listens l
            WHERE l.user_id = \(bind: id) ORDER BY l.listened_at DESC, l.track_name LIMIT \(bind: count)) AS p\(unsafeRaw: String(id))
            """
        }
        let query: SQLQueryString = """
            SELECT n.user_id, n.listened_at, n.inserted_at, n.track_name, n.extra, r.msid, r.artist_name, r.release_name, r.track_id,
                   t.library_id
            FROM (\(parts.joined(separator: " UNION ALL "))) AS n
            JOIN listen_recordings r ON r.id = n.recording_id LEFT JOIN tracks t ON t.id = r.track_id
            ORDER BY n.listened_at DESC, n.track_name LIMIT \(bind: count)
            """
        return try await db.raw(query).all().compactMap { row in
            guard let owner = owners[try row.decode(column: "user_id", as: Int64.self)] else { return nil }
            return try ListenQueries.listen(row: row, owner: owner, visibleLibraries: visibleLibraries)
        }
    }

    static func playingNow(of owners: [Int64: ListenOwner], on db: any SQLDatabase) async throws -> [ListenJSON] {
        let ids = SQLList(integers: owners.keys.sorted())
        return try await db.raw(
            """
            SELECT user_id, track_metadata FROM listen_playing_now
            WHERE user_id IN (\(ids)) AND expires_at > \(bind: Clock.nowMillis()) ORDER BY started_at DESC
            """
        ).all().compactMap { row in
            guard let owner = owners[try row.decode(column: "user_id", as: Int64.self)],
                let metadata = try? JSONDecoder().decode(
                    ListenJSON.TrackMetadata.self,
                    from: Data(try row.decode(column: "track_metadata", as: String.self).utf8))
            else { return nil }
            return ListenJSON(listenedAt: nil, insertedAt: nil, msid: nil, userName: owner.username, metadata: metadata, playingNow: true)
        }
    }
}

enum FeedController {
    /// `GET /api/v1/me/feed?count=50`
    @Sendable static func show(req: Request) async throws -> Response {
        let viewer = try req.requireUser()
        let raw = req.query[String.self, at: "count"]
        guard let count = raw.map({ Int($0) }) ?? 50, (1...200).contains(count) else {
            throw APIError.badRequest("count must be a whole number from 1 to 200.", code: "invalid_count")
        }
        let page = try await Feed.page(viewer: viewer, count: count, on: req.sql)
        let response = Response(status: .ok, body: .init(data: try JSONEncoder().encode(page)))
        response.headers.contentType = .json
        return response
    }
}

import Fluent
import Foundation
import SQLKit
import Vapor

/// user.getInfo and user.getRecentTracks, within the listens' visibility.
enum LastFMUsers {
    /// The user named by `user` (or the session's), when the caller may read their listens.
    static func target(_ call: LastFMController.Call) async throws -> ListenOwner {
        let session = try await LastFMAuth.session(call.params["sk"], protocol: "lastfm", on: call.db)
        let name = call.params["user"] ?? session?.username
        guard let name, let owner = try await ListenOwner.load(username: name, on: call.db) else {
            throw LastFMError(code: 6, message: "User not found")
        }
        let viewer = session.map { Principal(userID: $0.userID, username: $0.username, role: .user, method: .token(id: 0)) }
        var allowed = ListenAccess.canRead(owner, viewer: viewer)
        if !allowed, let session, let user = try await User.find(username: session.username, on: call.req.db), user.isAdmin { allowed = true }
        guard allowed else { throw LastFMError(code: 6, message: "User not found") }
        return owner
    }

    static func getInfo(_ call: LastFMController.Call) async throws -> LastFMNode {
        let owner = try await target(call)
        let registered =
            try await call.db.raw("SELECT created_at FROM users WHERE id = \(bind: owner.userID)").first()?
            .decode(column: "created_at", as: Int64.self) ?? 0
        let count = try await ListenStore.count(userID: owner.userID, on: call.db)
        return LastFMNode(
            "user",
            children: [
                LastFMNode("name", text: owner.username), LastFMNode("realname", text: ""),
                LastFMNode("url", text: "\(try call.app.settings.publicURL)/1/user/\(owner.username)/listens"),
                LastFMNode("playcount", text: String(count)), LastFMNode("subscriber", text: "0"),
                LastFMNode("registered", [("unixtime", String(registered / 1000))], text: String(registered / 1000)),
            ])
    }

    static func getRecentTracks(_ call: LastFMController.Call) async throws -> LastFMNode {
        let owner = try await target(call)
        let limit = min(max(Int(call.params["limit"] ?? "") ?? 50, 1), 200)
        let page = min(max(Int(call.params["page"] ?? "") ?? 1, 1), 1_000_000)
        // Bounds are inclusive in Last.fm; clamped so hostile values cannot overflow.
        let from = call.params["from"].flatMap { Int64($0) }.map { max($0, 0) - 1 }
        let to = call.params["to"].flatMap { Int64($0) }.map { min($0, Int64(Int32.max) * 1000) + 1 }
        let total = try await ListenStore.count(userID: owner.userID, on: call.db)
        let rows = try await call.db.raw(
            """
            SELECT l.listened_at, l.track_name, r.artist_name, r.release_name, r.recording_mbid FROM listens l
            JOIN listen_recordings r ON r.id = l.recording_id
            WHERE l.user_id = \(bind: owner.userID) AND l.listened_at > \(bind: from ?? Int64.min) AND l.listened_at < \(bind: to ?? Int64.max)
            ORDER BY l.listened_at DESC, l.track_name LIMIT \(bind: limit) OFFSET \(bind: (page - 1) * limit)
            """
        ).all()
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "dd MMM yyyy, HH:mm"
        var tracks: [LastFMNode] = []
        if page == 1, let playing = try await PlayingNow.current(owner: owner, on: call.db) {
            tracks.append(
                LastFMNode(
                    "track", [("nowplaying", "true")],
                    children: [
                        LastFMNode("artist", [("mbid", "")], text: playing.track_metadata.artist_name),
                        LastFMNode("name", text: playing.track_metadata.track_name),
                        LastFMNode("album", [("mbid", "")], text: playing.track_metadata.release_name ?? ""),
                    ]))
        }
        for row in rows {
            let ts = try row.decode(column: "listened_at", as: Int64.self)
            tracks.append(
                LastFMNode(
                    "track",
                    children: [
                        LastFMNode("artist", [("mbid", "")], text: try row.decode(column: "artist_name", as: String.self)),
                        LastFMNode("name", text: try row.decode(column: "track_name", as: String.self)),
                        LastFMNode("mbid", text: try row.decode(column: "recording_mbid", as: String?.self) ?? ""),
                        LastFMNode("album", [("mbid", "")], text: try row.decode(column: "release_name", as: String?.self) ?? ""),
                        LastFMNode("date", [("uts", String(ts))], text: formatter.string(from: Date(timeIntervalSince1970: TimeInterval(ts)))),
                    ]))
        }
        let pages = max(1, (Int(total) + limit - 1) / limit)
        return LastFMNode(
            "recenttracks",
            [
                ("user", owner.username), ("page", String(page)), ("perPage", String(limit)),
                ("totalPages", String(pages)), ("total", String(total)),
            ],
            children: tracks, lists: ["track"])
    }
}

import Fluent
import Foundation
import SQLKit

/// star, unstar, setRating, scrobble, reportPlayback.
enum SubsonicAnnotation {
    static let handlers: [String: SubsonicAPI.Handler] = [
        "star": { context in try await star(context, on: true) },
        "unstar": { context in try await star(context, on: false) },
        "setRating": { context in
            let raw = try context.params.require("id")
            _ = try context.params.require("rating")
            let rating = try context.params.int("rating", default: 0, range: 0...5)
            guard let item = SubsonicID.parse(raw, assumed: .track), let type = itemType(item.kind),
                try await isVisible(type: type, id: item.id, context: context)
            else { throw SubsonicError.notFound("Item") }
            try await AnnotatedItem.setRating(rating, userID: context.user.userID, type: type, id: item.id, on: context.req.db)
            return .empty
        },
        "scrobble": { context in
            let ids = try context.params.all("id", limit: maxItems)
            guard !ids.isEmpty else { throw SubsonicError.missing("id") }
            let times = context.params.all("time")
            let submission = context.params.bool("submission", default: true)
            let client = String((context.params.string("c") ?? "subsonic").prefix(100))
            var tracks: [(Int64, Int64?)] = []
            for (index, raw) in ids.enumerated() {
                guard let item = SubsonicID.parse(raw, assumed: .track), item.kind == .track,
                    try await isVisible(type: "track", id: item.id, context: context)
                else { throw SubsonicError.notFound("Song") }
                var at: Int64?
                if index < times.count {
                    guard let millis = Int64(times[index]), millis >= ListenValidator.minimumListenedAt * 1000,
                        millis < (Clock.nowMillis() / 1000 + ListenValidator.allowedSkew) * 1000
                    else {
                        throw SubsonicError.invalid("time must be milliseconds since 1970, after October 2002 and not in the future.")
                    }
                    at = millis
                }
                tracks.append((item.id, at))
            }
            let plays = tracks
            try await context.req.db.writeTransaction { tx in
                for (trackID, at) in plays {
                    if submission {
                        try await Plays.record(userID: context.user.userID, trackID: trackID, at: at ?? Clock.nowMillis(), client: client, on: tx.sql)
                    } else {
                        try await Plays.nowPlaying(userID: context.user.userID, trackID: trackID, client: client, on: tx.sql)
                    }
                }
            }
            return .empty
        },
        "reportPlayback": { context in
            let id = try SubsonicID.require(context.params, "mediaId", .track, what: "Song")
            let state = try context.params.require("state")
            let position = try context.params.optionalInt("positionMs", range: 0...Int(Int32.max) * 1000).map(Int64.init) ?? 0
            let client = String((context.params.string("c") ?? "subsonic").prefix(100))
            guard position >= 0 else { throw SubsonicError.invalid("positionMs must not be negative.") }
            guard try await isVisible(type: "track", id: id, context: context) else { throw SubsonicError.notFound("Song") }
            let userID = context.user.userID
            switch state {
            case "starting", "playing":
                try await context.req.db.writeTransaction { tx in
                    try await Plays.nowPlaying(userID: userID, trackID: id, client: client, on: tx.sql)
                }
            case "paused":
                try await context.req.db.writeTransaction { tx in
                    _ = try await Plays.endNowPlaying(userID: userID, trackID: nil, client: client, on: tx.sql)
                }
            case "stopped":
                // The server owns the scrobble decision here: a play counts once it reached half
                // the track or four minutes (ListenBrainz's rule), and it started `position` ago.
                // Only a play that was reported as started counts, once: a repeated "stopped" finds
                // no session left and records nothing.
                let duration = try await CatalogQueries.durationMs(trackID: id, on: context.db)
                let played = min(position, duration > 0 ? duration : 86_400_000)  // a hostile position cannot date a play before 1970
                let counts = !context.params.bool("ignoreScrobble", default: false) && Plays.reachedListen(position: played, durationMs: duration)
                try await context.req.db.writeTransaction { tx in
                    let hadSession = try await Plays.endNowPlaying(userID: userID, trackID: id, client: client, on: tx.sql)
                    if counts && hadSession {
                        try await Plays.record(userID: userID, trackID: id, at: Clock.nowMillis() - played, client: client, on: tx.sql)
                    }
                }
            default:
                throw SubsonicError.invalid("state must be starting, playing, paused or stopped.")
            }
            return .empty
        },
    ]

    /// The most items one star, unstar or scrobble call may name.
    static let maxItems = 500

    static func itemType(_ kind: SubsonicID.Kind) -> String? {
        switch kind {
        case .track: return "track"
        case .album: return "album"
        case .artist: return "artist"
        default: return nil
        }
    }

    /// Whether the caller may see a track, an album or an artist (a track of it in a visible library).
    static func isVisible(type: String, id: Int64, context: SubsonicContext) async throws -> Bool {
        try await AnnotatedItem.isVisible(type: type, id: id, visible: context.visible, on: context.db)
    }

    static func star(_ context: SubsonicContext, on: Bool) async throws -> SubsonicResult {
        var items: [(String, Int64)] = []
        for raw in try context.params.all("id", limit: maxItems) {
            guard let item = SubsonicID.parse(raw, assumed: .track), let type = itemType(item.kind) else { throw SubsonicError.notFound("Item") }
            items.append((type, item.id))
        }
        for raw in try context.params.all("albumId", limit: maxItems) {
            guard let item = SubsonicID.parse(raw, assumed: .album), item.kind == .album else { throw SubsonicError.notFound("Album") }
            items.append(("album", item.id))
        }
        for raw in try context.params.all("artistId", limit: maxItems) {
            guard let item = SubsonicID.parse(raw, assumed: .artist), item.kind == .artist else { throw SubsonicError.notFound("Artist") }
            items.append(("artist", item.id))
        }
        guard !items.isEmpty else { throw SubsonicError.missing("id, albumId or artistId") }
        for (type, id) in items where try await !isVisible(type: type, id: id, context: context) {
            throw SubsonicError.notFound(type.capitalized)
        }
        try await AnnotatedItem.setStarred(on, userID: context.user.userID, items: items, on: context.req.db)
        return .empty
    }
}

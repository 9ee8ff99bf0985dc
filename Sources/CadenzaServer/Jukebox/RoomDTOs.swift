import Foundation
import Vapor

/// A song as guests see it: what it is, never where its files are.
struct RoomTrackDTO: Content {
    var id: String
    var title: String
    var artist: String
    var album: String
    var durationMs: Int
    var artworkId: String?

    init(_ track: TrackDTO) {
        id = track.id
        title = track.title
        artist = track.artist
        album = track.album.name
        durationMs = track.durationMs
        artworkId = track.artworkId
    }
}

struct RoomDTO: Content {
    struct Settings: Content {
        var requireAccounts: Bool
        var downvotesToRemove: Int
        var downvotesToSkip: Int
        var maxPerGuest: Int
        var cooldownMinutes: Int
        var maxQueue: Int
        var locked: Bool
        var autoplay: Bool
        var closed: Bool
    }

    struct Me: Content {
        var guestId: String
        var name: String
    }

    struct Entry: Content {
        var entryId: String
        var track: RoomTrackDTO?
        var score: Int
        var myVote: Int
        var suggestedBy: String?
        /// For the host: whom to ban.
        var suggestedById: String?
        var mine: Bool
        /// Picked by the room itself (autoplay), not suggested by anyone.
        var autoplay: Bool
    }

    struct Playing: Content {
        var entryId: String
        var track: RoomTrackDTO?
        var score: Int
        var myVote: Int
        var startedAt: Date
        var elapsedMs: Int64
        var paused: Bool
    }

    var slug: String
    var name: String
    var host: Bool
    var me: Me?
    /// The host's join link (`#/party/SLUG?code=…`).
    var joinCode: String?
    var settings: Settings
    var nowPlaying: Playing?
    var queue: [Entry]
}

struct RoomSummaryDTO: Content {
    var slug: String
    var name: String
    var closed: Bool
}

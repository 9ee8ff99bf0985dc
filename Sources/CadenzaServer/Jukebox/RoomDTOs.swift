import Foundation
import Vapor

struct RoomDTO: Content {
    struct Settings: Content {
        var requireAccounts: Bool
        var downvotesToRemove: Int
        var downvotesToSkip: Int
        var maxPerGuest: Int
        var cooldownMinutes: Int
        var maxQueue: Int
        var locked: Bool
        var closed: Bool
    }

    struct Me: Content {
        var guestId: String
        var name: String
    }

    struct Entry: Content {
        var entryId: String
        var track: TrackDTO?
        var score: Int
        var myVote: Int
        var suggestedBy: String?
        var mine: Bool
    }

    struct Playing: Content {
        var entryId: String
        var track: TrackDTO?
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

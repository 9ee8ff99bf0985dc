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

    init(_ track: CatalogQueries.TrackSummary) {
        id = String(track.id)
        title = track.title
        artist = track.artist
        album = track.album
        durationMs = track.durationMs
        artworkId = track.artworkID.map(String.init)
    }

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
        /// The speaker's volume, 0 to 1.
        var gain: Double
        /// How the room plays: `speaker` (the host's page) or `stream` (the room's own mount).
        var playback: String
        /// full_control, full_voting, upvotes_only or no_control.
        var interactivity: String
        var forbiddenWords: [String]
        var newMusicOnly: Bool
    }

    struct Me: Content {
        var guestId: String
        var name: String
        /// Whether the songs played here become this guest's listens, and until when (signed-in
        /// guests only; nil otherwise).
        var sharesListens: Bool?
        var sharesListensUntil: Date?
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
        /// Moved to the top by the host.
        var pinned: Bool
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
    /// The link guests open (the host only); `qr.svg` draws it.
    var joinUrl: String?
    var settings: Settings
    /// A stream-mode room's mount (MP3): for the host a link any player can open (it carries
    /// the join code), for a guest the path their signed-in browser plays.
    var streamUrl: String?
    var nowPlaying: Playing?
    var queue: [Entry]
    /// Songs the host banned from the room (the host only).
    var bannedTracks: [RoomTrackDTO]?
}

struct RoomSummaryDTO: Content {
    var slug: String
    var name: String
    var closed: Bool
}

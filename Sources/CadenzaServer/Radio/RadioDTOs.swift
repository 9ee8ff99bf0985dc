import CadenzaPlayout
import Foundation
import Vapor

struct StationDTO: Content {
    var id: String
    var slug: String
    var name: String
    var description: String
    var timeZone: String
    var visibility: StationRecord.Visibility
    var ownerId: String?
    var outputs: [StationOutput]
    /// Paths of the station's outputs on this server (`/listen/SLUG/radio.mp3`, `/hls/SLUG/live.m3u8`).
    var mounts: [String]
    var crossfadeMs: Int
    /// How the levels cross: equalPower, linear or sCurve.
    var crossfadeCurve: CrossfadeCurve
    /// Listeners each mount takes at once.
    var maxListeners: Int
    /// kb/s of every output.
    var bitrate: Int
    var trackGapMinutes: Int
    var artistGapMinutes: Int
    var jinglePlaylistId: String?
    var jingleEvery: Int
    /// A station ID once an hour after this minute (null: not hourly).
    var jingleMinute: Int?
    /// Live sets are recorded into the library "NAME – live sets".
    var recordLive: Bool
    /// The loudness every item is brought to (LUFS); null when the station does not normalise.
    var targetLufs: Int?
    /// The servers it relays to, without their passwords (its owner and administrators see them).
    var pushUrls: [String]?
    /// The first of `pushUrls` (what one relay was set with before there could be several).
    var pushUrl: String?
    var createdAt: Date
    /// Whether the caller may change the station (its owner, a manager, an administrator); absent signed out.
    var canManage: Bool?
    /// The track looped when nothing else can air; absent: a quiet tone.
    var fallbackTrackId: String?
    /// The station's picture (`?size=` for a smaller one); absent when it has none.
    var artworkUrl: String?

    init(_ station: StationRecord) {
        id = String(station.id)
        slug = station.slug
        name = station.name
        description = station.description
        timeZone = station.timeZone
        visibility = station.visibility
        ownerId = station.ownerID.map(String.init)
        outputs = station.outputs
        mounts = station.outputs.map { $0.path(slug: station.slug) }
        crossfadeMs = station.crossfadeMs
        crossfadeCurve = station.crossfadeCurve
        maxListeners = station.maxListeners
        bitrate = station.bitrate.kbps
        trackGapMinutes = station.trackGapMinutes
        artistGapMinutes = station.artistGapMinutes
        jinglePlaylistId = station.jinglePlaylistID.map(String.init)
        jingleEvery = station.jingleEvery
        targetLufs = station.targetLUFS
        jingleMinute = station.jingleMinute
        recordLive = station.recordLive
        artworkUrl = StationArtwork.url(station.artwork, slug: station.slug)
        fallbackTrackId = station.fallbackTrackID.map(String.init)
        createdAt = Clock.date(station.createdAt)
    }
}

/// A song as the station page and now-playing API show it.
struct StationSongDTO: Content, Equatable {
    var trackId: String?
    var title: String
    var artist: String
    /// "Artist - Title", as ICY StreamTitle carries it.
    var text: String
    /// The loudness normalisation's gain on it (dB), when the station applies one.
    var gainDb: Double?
}

/// What a station is airing: the item with the instant its first sample reaches the bus (what
/// listeners of the mount hear a buffer later), what comes next and what aired before.
struct NowPlayingDTO: Content {
    struct Current: Content {
        var song: StationSongDTO
        var source: AsRunLog.Source
        var playedAt: Date
        var durationMs: Int
        var elapsedMs: Int
        var remainingMs: Int
    }

    struct Listeners: Content {
        var current: Int
        var peak: Int
    }

    /// How far behind the bus an output's listener is: one who connects now hears an item start
    /// `delayMs` after its `playedAt`. For the mounts, the burst a player is given on connect
    /// (less the bus's lead); for HLS, where a player joins (three target durations from the
    /// playlist's end). HLS program date-times are on the `playedAt` clock: a player that reads
    /// them needs no estimate.
    struct OutputDelay: Content {
        var output: StationOutput
        var path: String
        var delayMs: Int
    }

    /// The show on air, if one is.
    struct Show: Content {
        var id: String
        var title: String
        var start: Date
        var end: Date
    }

    var station: String
    var name: String
    var onAir: Bool
    var nowPlaying: Current?
    var show: Show?
    var playingNext: [StationSongDTO]
    var songHistory: [AsRunLog.Entry]
    var listeners: Listeners
    /// Absent from announcements stored before outputs were timed.
    var outputs: [OutputDelay]?
    /// The picture of the show on air, else the station's (absent: neither has one). The song's own
    /// cover is at `/api/v1/stations/SLUG/tracks/TRACKID/artwork`. Only in the API's answer.
    var artworkUrl: String?
}

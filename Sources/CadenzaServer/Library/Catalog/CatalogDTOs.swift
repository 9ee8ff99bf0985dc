import Vapor

/// API shapes of the catalog; Fluent and SQL rows never leave the server.
struct ArtistRef: Content, Equatable {
    var id: String
    var name: String
}

struct ArtistDTO: Content {
    var id: String
    var name: String
    var sortName: String
    var mbid: String?
    var albumCount: Int
    var trackCount: Int
    var artworkId: String?
}

struct AlbumDTO: Content {
    var id: String
    var title: String
    var artist: ArtistRef
    var year: Int?
    var originalYear: Int?
    var compilation: Bool
    /// MusicBrainz release-group types from the tags, primary first; empty when untagged.
    var releaseTypes: [String]
    var mbid: String?
    var trackCount: Int
    var durationMs: Int
    var artworkId: String?
    var createdAt: Date
}

struct FileDTO: Content {
    var id: String
    var libraryId: String
    var path: String
    var format: String?
    var bitrate: Int?
    var sampleRate: Int?
    var channels: Int?
    var size: Int64
    var status: String
    var error: String?
    var originalName: String?
}

struct TrackDTO: Content {
    var id: String
    var title: String
    var artist: String
    var artists: [ArtistRef]
    var album: ArtistRef
    var albumArtist: ArtistRef
    var discNumber: Int?
    var trackNumber: Int?
    var durationMs: Int
    var year: Int?
    var genre: String?
    var genres: [String]
    var mbid: String?
    /// Beats per minute, from the file's tags.
    var bpm: Int?
    var replayGain: ReplayGain?
    var artworkId: String?
    var libraryId: String
    var files: [FileDTO]
    var createdAt: Date
    /// How often the caller played it: only where a page shows it (an album's tracks).
    var playCount: Int? = nil

    struct ReplayGain: Content {
        var trackGain: Double?
        var trackPeak: Double?
        var albumGain: Double?
        var albumPeak: Double?
    }
}

struct AlbumDetailDTO: Content {
    var album: AlbumDTO
    var tracks: [TrackDTO]
}

struct ArtistDetailDTO: Content {
    var artist: ArtistDTO
    var albums: [AlbumDTO]
    /// Their most played tracks across everyone's listens (then by title), at most ten.
    var topTracks: [TrackDTO] = []
}

struct GenreDTO: Content {
    var name: String
    var trackCount: Int
    var albumCount: Int
}

struct SearchResultDTO: Content {
    var artists: [ArtistDTO]
    var albums: [AlbumDTO]
    var tracks: [TrackDTO]
    var playlists: [PlaylistsController.PlaylistDTO]
}

struct Page<T: Content>: Content {
    var items: [T]
    var limit: Int
    var offset: Int
}

extension Optional where Wrapped == Double {
    /// Rows scanned before gains were checked at parse time may hold `inf`: JSON cannot carry it.
    var finite: Double? { flatMap { $0.isFinite ? $0 : nil } }
}

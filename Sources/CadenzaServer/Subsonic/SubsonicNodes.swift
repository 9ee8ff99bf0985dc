import CadenzaTags
import Foundation
import SQLKit

/// Builds the protocol's elements from catalog DTOs.
enum SubsonicNodes {
    static func seconds(_ ms: Int) -> Int { (ms + 500) / 1000 }

    static func coverArt(_ artworkID: String?) -> String? {
        artworkID.flatMap(Int64.init).map { SubsonicID.make(.cover, $0) }
    }

    static func apply(_ annotation: Annotation?, to node: inout SubsonicNode) {
        guard let annotation else { return }
        node.set(date: "starred", millis: annotation.starred)
        node.set("userRating", annotation.rating)
        if let plays = annotation.playCount { node.set("playCount", plays) }
        node.set(date: "played", millis: annotation.lastPlayed)
    }

    static func song(_ track: TrackDTO, annotation: Annotation?, name: String = "song") -> SubsonicNode {
        var node = SubsonicNode(name)
        let id = Int64(track.id) ?? 0, albumID = Int64(track.album.id) ?? 0
        let file = track.files.first { $0.status == "imported" } ?? track.files.first
        let suffix = file.map { $0.path.fileExtension.lowercased() } ?? "mp3"
        node.set("id", SubsonicID.make(.track, id))
        node.set("parent", SubsonicID.make(.album, albumID))
        node.set("isDir", false)
        node.set("title", track.title)
        node.set("album", track.album.name)
        node.set("artist", track.artist)
        node.set("track", track.trackNumber)
        node.set("year", track.year)
        node.set("genre", track.genre)
        node.set("coverArt", coverArt(track.artworkId))
        node.set("size", file?.size)
        node.set("contentType", AudioSniffer.mime(forExtension: suffix).split(separator: ";").first.map(String.init))
        node.set("suffix", suffix)
        node.set("duration", seconds(track.durationMs))
        node.set("bitRate", file?.bitrate)
        node.set("path", "\(track.albumArtist.name)/\(track.album.name)/\(file?.path.fileName ?? track.title)")
        node.set("discNumber", track.discNumber)
        node.set("created", SubsonicNode.iso8601(Int64(track.createdAt.timeIntervalSince1970 * 1000)))
        node.set("albumId", SubsonicID.make(.album, albumID))
        if let artist = track.artists.first, let artistID = Int64(artist.id) { node.set("artistId", SubsonicID.make(.artist, artistID)) }
        node.set("type", "music")
        node.set("mediaType", "song")
        node.set("isVideo", false)
        apply(annotation, to: &node)
        if annotation?.playCount == nil { node.set("playCount", 0) }
        node.set("bpm", track.bpm ?? 0)
        node.set("comment", "")
        node.set("sortName", track.title)
        node.set("musicBrainzId", track.mbid ?? "")
        node.set("samplingRate", file?.sampleRate)
        node.set("channelCount", file?.channels)
        node.set("displayArtist", track.artist)
        node.set("displayAlbumArtist", track.albumArtist.name)
        node.add(
            list: "genres",
            track.genres.map { genre in
                var g = SubsonicNode("genres")
                g.set("name", genre)
                return g
            })
        node.add(list: "artists", track.artists.map { ref($0, kind: .artist, name: "artists") })
        node.add(list: "albumArtists", [ref(track.albumArtist, kind: .artist, name: "albumArtists")])
        if let gain = track.replayGain {
            var rg = SubsonicNode("replayGain")
            rg.set("trackGain", gain.trackGain)
            rg.set("trackPeak", gain.trackPeak)
            rg.set("albumGain", gain.albumGain)
            rg.set("albumPeak", gain.albumPeak)
            node.add(rg)
        }
        return node
    }

    static func ref(_ ref: ArtistRef, kind: SubsonicID.Kind, name: String) -> SubsonicNode {
        var node = SubsonicNode(name)
        node.set("id", SubsonicID.make(kind, Int64(ref.id) ?? 0))
        node.set("name", ref.name)
        return node
    }

    /// AlbumID3 (`name: "album"`), or a folder-style child (`name: "child"`, `asDirectory`).
    static func album(_ album: AlbumDTO, annotation: Annotation?, name: String = "album", asDirectory: Bool = false) -> SubsonicNode {
        var node = SubsonicNode(name)
        let id = SubsonicID.make(.album, Int64(album.id) ?? 0)
        let artistID = SubsonicID.make(.artist, Int64(album.artist.id) ?? 0)
        node.set("id", id)
        if asDirectory {
            node.set("parent", artistID)
            node.set("isDir", true)
            node.set("title", album.title)
        }
        node.set("name", album.title)
        node.set("album", album.title)
        node.set("artist", album.artist.name)
        node.set("artistId", artistID)
        node.set("coverArt", coverArt(album.artworkId))
        node.set("songCount", album.trackCount)
        node.set("duration", seconds(album.durationMs))
        node.set("created", SubsonicNode.iso8601(Int64(album.createdAt.timeIntervalSince1970 * 1000)))
        node.set("year", album.year)
        apply(annotation, to: &node)
        if annotation?.playCount == nil { node.set("playCount", 0) }
        node.set("isCompilation", album.compilation)
        // OpenSubsonic spells the types as MusicBrainz shows them ("Album", "Live").
        node.add(list: "releaseTypes", album.releaseTypes.map { .scalar("releaseTypes", .string($0.prefix(1).uppercased() + $0.dropFirst())) })
        node.set("musicBrainzId", album.mbid ?? "")
        node.set("displayArtist", album.artist.name)
        node.set("sortName", album.title)
        node.add(list: "artists", [ref(album.artist, kind: .artist, name: "artists")])
        if let original = album.originalYear {
            var date = SubsonicNode("originalReleaseDate")
            date.set("year", original)
            node.add(date)
        }
        return node
    }

    static func artist(_ artist: ArtistDTO, annotation: Annotation?, name: String = "artist") -> SubsonicNode {
        var node = SubsonicNode(name)
        node.set("id", SubsonicID.make(.artist, Int64(artist.id) ?? 0))
        node.set("name", artist.name)
        node.set("coverArt", coverArt(artist.artworkId))
        node.set("albumCount", artist.albumCount)
        node.set("artistImageUrl", nil as String?)
        apply(annotation, to: &node)
        node.set("musicBrainzId", artist.mbid ?? "")
        node.set("sortName", artist.sortName)
        return node
    }

    /// Songs with the user's annotations, loaded in one query.
    static func songs(_ tracks: [TrackDTO], context: SubsonicContext, name: String = "song") async throws -> [SubsonicNode] {
        let notes = try await context.annotations([("track", tracks.compactMap { Int64($0.id) })])["track"] ?? [:]
        return tracks.map { song($0, annotation: notes[Int64($0.id) ?? 0], name: name) }
    }

    static func albums(
        _ albums: [AlbumDTO], context: SubsonicContext, name: String = "album", asDirectory: Bool = false
    ) async throws -> [SubsonicNode] {
        let notes = try await context.annotations([("album", albums.compactMap { Int64($0.id) })])["album"] ?? [:]
        return albums.map { album($0, annotation: notes[Int64($0.id) ?? 0], name: name, asDirectory: asDirectory) }
    }

    static func artists(_ artists: [ArtistDTO], context: SubsonicContext, name: String = "artist") async throws -> [SubsonicNode] {
        let notes = try await context.annotations([("artist", artists.compactMap { Int64($0.id) })])["artist"] ?? [:]
        return artists.map { artist($0, annotation: notes[Int64($0.id) ?? 0], name: name) }
    }
}

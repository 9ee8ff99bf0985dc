import CadenzaTags
import Fluent
import Foundation
import SQLKit

/// Browsing by ID3 tags and by (simulated) folders, genres, info and similar songs.
enum SubsonicBrowsing {
    static let ignoredArticles = "The El La Los Las Le Les"
    static let everything = CatalogQueries.Paging(limit: 100_000, offset: 0)

    static let handlers: [String: SubsonicAPI.Handler] = [
        "getMusicFolders": { context in
            var folders = SubsonicNode("musicFolders")
            let libraries = try await Libraries.all(on: context.db).filter { context.visible.contains($0.id) }
            folders.add(
                list: "musicFolder",
                libraries.map { library in
                    var node = SubsonicNode("musicFolder")
                    node.set("id", library.id)
                    node.set("name", library.name)
                    return node
                })
            return .node(folders)
        },
        "getArtists": { context in
            var node = SubsonicNode("artists")
            node.set("ignoredArticles", ignoredArticles)
            node.add(list: "index", try await indexes(context, name: "artist"))
            return .node(node)
        },
        "getIndexes": { context in
            var node = SubsonicNode("indexes")
            node.set("lastModified", try await lastModified(context))
            node.set("ignoredArticles", ignoredArticles)
            node.add(list: "index", try await indexes(context, name: "artist"))
            return .node(node)
        },
        "getMusicDirectory": { context in
            let raw = try context.params.require("id")
            guard let parsed = SubsonicID.parse(raw) else { throw SubsonicError.notFound("Directory") }
            var directory = SubsonicNode("directory")
            switch parsed.kind {
            case .artist:
                guard let artist = try await CatalogQueries.artist(id: parsed.id, visible: context.visible, on: context.db) else {
                    throw SubsonicError.notFound("Directory")
                }
                directory.set("id", raw)
                directory.set("name", artist.artist.name)
                directory.add(list: "child", try await SubsonicNodes.albums(artist.albums, context: context, name: "child", asDirectory: true))
            case .album:
                guard let album = try await CatalogQueries.album(id: parsed.id, visible: context.visible, on: context.db) else {
                    throw SubsonicError.notFound("Directory")
                }
                directory.set("id", raw)
                directory.set("parent", SubsonicID.make(.artist, Int64(album.album.artist.id) ?? 0))
                directory.set("name", album.album.title)
                directory.add(list: "child", try await SubsonicNodes.songs(album.tracks, context: context, name: "child"))
            default:
                throw SubsonicError.notFound("Directory")
            }
            return .node(directory)
        },
        "getGenres": { context in
            var node = SubsonicNode("genres")
            let version = context.catalogVersion
            let genres = try await context.app.catalogCache.value("genres:\(context.visible)", version: version) {
                try await CatalogQueries.genres(visible: context.visible, on: context.db)
            }
            node.add(
                list: "genre",
                genres.map { genre in
                    var g = SubsonicNode("genre")
                    g.set("songCount", genre.trackCount)
                    g.set("albumCount", genre.albumCount)
                    g.text = genre.name
                    return g
                })
            return .node(node)
        },
        "getArtist": { context in
            let id = try SubsonicID.require(context.params, .artist, what: "Artist")
            guard let found = try await CatalogQueries.artist(id: id, visible: context.visible, on: context.db) else {
                throw SubsonicError.notFound("Artist")
            }
            var node = try await SubsonicNodes.artists([found.artist], context: context)[0]
            node.add(list: "album", try await SubsonicNodes.albums(found.albums, context: context))
            return .node(node)
        },
        "getAlbum": { context in
            let id = try SubsonicID.require(context.params, .album, what: "Album")
            // Albums change only with the catalog: assembled once per version, annotated per user.
            let cached = try await context.app.catalogItemCache.value("album:\(context.visible):\(id)", version: context.catalogVersion) {
                try await CatalogQueries.album(id: id, visible: context.visible, on: context.db)
            }
            guard let found = cached else { throw SubsonicError.notFound("Album") }
            let notes = try await context.annotations([
                ("album", [id]), ("track", found.tracks.compactMap { Int64($0.id) }),
            ])
            var node = SubsonicNodes.album(found.album, annotation: notes["album"]?[id])
            if let genre = found.tracks.first?.genre { node.set("genre", genre) }
            node.add(list: "song", found.tracks.map { SubsonicNodes.song($0, annotation: notes["track"]?[Int64($0.id) ?? 0]) })
            return .node(node)
        },
        "getSong": { context in
            let id = try SubsonicID.require(context.params, .track, what: "Song")
            let found = try await context.app.tracks([id], visible: context.visible, version: context.catalogVersion, on: context.db)
            guard !found.isEmpty else { throw SubsonicError.notFound("Song") }
            return .node(try await SubsonicNodes.songs(found, context: context)[0])
        },
        "getArtistInfo": { context in try await artistInfo(context, name: "artistInfo") },
        "getArtistInfo2": { context in try await artistInfo(context, name: "artistInfo2") },
        "getAlbumInfo": { context in try await albumInfo(context, name: "albumInfo") },
        "getAlbumInfo2": { context in try await albumInfo(context, name: "albumInfo") },
        "getSimilarSongs": { context in try await similarSongs(context, name: "similarSongs") },
        "getSimilarSongs2": { context in try await similarSongs(context, name: "similarSongs2") },
        "getTopSongs": { context in
            let artistName = try context.params.require("artist")
            let count = try context.params.int("count", default: 50, range: 0...500)
            var node = SubsonicNode("topSongs")
            guard count > 0 else { return .node(node) }
            // Most listeners on this instance first, then most plays: the local answer to "top songs".
            let ids = try await SimilarArtists.topTracks(artistName: artistName, visible: context.visible, limit: count, on: context.db)
            let tracks = try await CatalogQueries.tracks(visible: context.visible, paging: .init(limit: count, offset: 0), ids: ids, on: context.db)
            node.add(list: "song", try await SubsonicNodes.songs(CatalogQueries.ordered(tracks, by: ids) { $0.id }, context: context))
            return .node(node)
        },
    ]

    /// Artists grouped by the first letter of their sort name ("The Who" under W).
    static func indexes(_ context: SubsonicContext, name: String) async throws -> [SubsonicNode] {
        let filters = CatalogQueries.Filters(libraryID: try context.params.libraryID())
        let version = context.catalogVersion
        let key = "index:\(context.visible):\(filters.libraryID ?? 0)"
        let artists = try await context.app.catalogCache.value(key, version: version) {
            try await CatalogQueries.artists(visible: context.visible, filters: filters, paging: everything, albumArtistsOnly: true, on: context.db)
        }
        let nodes = try await SubsonicNodes.artists(artists, context: context, name: name)
        var groups: [(String, [SubsonicNode])] = []
        for (artist, node) in zip(artists, nodes) {
            let first = artist.sortName.first.map { $0.isLetter ? String($0).uppercased() : "#" } ?? "#"
            if groups.last?.0 == first { groups[groups.count - 1].1.append(node) } else { groups.append((first, [node])) }
        }
        return groups.map { letter, members in
            var index = SubsonicNode("index")
            index.set("name", letter)
            index.add(list: name, members)
            return index
        }
    }

    static func lastModified(_ context: SubsonicContext) async throws -> Int64 {
        try await CatalogQueries.lastModified(on: context.db)
    }

    static func artistInfo(_ context: SubsonicContext, name: String) async throws -> SubsonicResult {
        let id = try SubsonicID.require(context.params, .artist, what: "Artist")
        let count = try context.params.int("count", default: 20, range: 0...500)
        guard let found = try await CatalogQueries.artist(id: id, visible: context.visible, on: context.db) else {
            throw SubsonicError.notFound("Artist")
        }
        var node = SubsonicNode(name)
        node.set("biography", "")
        node.set("musicBrainzId", found.artist.mbid ?? "")
        // Similar by co-listening on this instance, topped up by shared genres.
        let similarIDs = try await SimilarArtists.ids(to: id, visible: context.visible, limit: count, on: context.db)
        let similar = try await CatalogQueries.artists(visible: context.visible, paging: everything, ids: similarIDs, on: context.db)
        node.add(
            list: "similarArtist",
            try await SubsonicNodes.artists(
                CatalogQueries.ordered(similar, by: similarIDs) { $0.id },
                context: context, name: "similarArtist"))
        return .node(node)
    }

    static func albumInfo(_ context: SubsonicContext, name: String) async throws -> SubsonicResult {
        let id = try SubsonicID.require(context.params, .album, what: "Album")
        guard let found = try await CatalogQueries.album(id: id, visible: context.visible, on: context.db) else {
            throw SubsonicError.notFound("Album")
        }
        var node = SubsonicNode(name)
        node.set("notes", "")
        node.set("musicBrainzId", found.album.mbid ?? "")
        return .node(node)
    }

    /// The instant mix from the seed (an artist, album or song) without the seed itself: what people
    /// here play alongside it, then shared genres when listens are few.
    static func similarSongs(_ context: SubsonicContext, name: String) async throws -> SubsonicResult {
        let raw = try context.params.require("id")
        let count = try context.params.int("count", default: 50, range: 0...500)
        guard let seed = SubsonicID.parse(raw, assumed: name == "similarSongs2" ? .artist : .track) else {
            throw SubsonicError.notFound("Item")
        }
        var node = SubsonicNode(name)
        let similarTo: CatalogQueries.SimilarSeed
        switch seed.kind {
        case .artist: similarTo = .artist(seed.id)
        case .album: similarTo = .album(seed.id)
        case .track: similarTo = .track(seed.id)
        default: throw SubsonicError.notFound("Item")
        }
        guard count > 0 else { return .node(node) }
        // An instant mix without the seed: co-listening first, shared genres when listens are few.
        let ids = try await InstantMix.tracks(from: similarTo, visible: context.visible, limit: count, includeSeed: false, on: context.db)
        let tracks = try await CatalogQueries.tracks(visible: context.visible, paging: .init(limit: count, offset: 0), ids: ids, on: context.db)
        node.add(list: "song", try await SubsonicNodes.songs(CatalogQueries.ordered(tracks, by: ids) { $0.id }, context: context))
        return .node(node)
    }
}

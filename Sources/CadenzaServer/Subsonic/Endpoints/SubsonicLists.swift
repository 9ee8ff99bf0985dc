import CadenzaTags
import Fluent
import Foundation
import SQLKit

/// Album and song lists, starred items, now playing and search.
enum SubsonicLists {
    static let handlers: [String: SubsonicAPI.Handler] = [
        "getAlbumList": { context in try await albumList(context, name: "albumList", asDirectory: true) },
        "getAlbumList2": { context in try await albumList(context, name: "albumList2", asDirectory: false) },
        "getRandomSongs": { context in
            let size = try context.params.int("size", default: 10, range: 0...500)
            var filters = try yearsAndGenre(context)
            filters.libraryID = try context.params.libraryID()
            let tracks = try await CatalogQueries.tracks(
                visible: context.visible, filters: filters, sort: .random,
                paging: .init(limit: max(size, 1), offset: 0), on: context.db)
            var node = SubsonicNode("randomSongs")
            node.add(list: "song", try await SubsonicNodes.songs(size == 0 ? [] : tracks, context: context))
            return .node(node)
        },
        "getSongsByGenre": { context in
            let genre = try context.params.require("genre")
            let count = try context.params.int("count", default: 10, range: 0...500)
            let offset = try context.params.int("offset", default: 0, range: 0...Int(Int32.max))
            var filters = CatalogQueries.Filters(genre: genre)
            filters.libraryID = try context.params.libraryID()
            let tracks = try await CatalogQueries.tracks(
                visible: context.visible, filters: filters, sort: .title,
                paging: .init(limit: max(count, 1), offset: offset), on: context.db)
            var node = SubsonicNode("songsByGenre")
            node.add(list: "song", try await SubsonicNodes.songs(count == 0 ? [] : tracks, context: context))
            return .node(node)
        },
        "getNowPlaying": { context in
            var node = SubsonicNode("nowPlaying")
            let now = Clock.nowMillis()
            let rows = try await PlayingNow.tracksPlaying(now: now, limit: 100, on: context.db)
            let ids = rows.map(\.trackID)
            let tracks = try await CatalogQueries.tracks(visible: context.visible, paging: .init(limit: 100, offset: 0), ids: ids, on: context.db)
            let songs = try await SubsonicNodes.songs(tracks, context: context, name: "entry")
            let byID = Dictionary(zip(tracks.map(\.id), songs), uniquingKeysWith: { first, _ in first })
            var entries: [SubsonicNode] = []
            for (index, row) in rows.enumerated() {
                guard var entry = byID[String(ids[index])] else { continue }  // tracks the viewer may not see stay hidden
                entry.set("username", row.username)
                entry.set("minutesAgo", Int((now - row.startedAt) / 60_000))
                entry.set("playerId", 0)
                entry.set("playerName", row.client)
                entries.append(entry)
            }
            node.add(list: "entry", entries)
            return .node(node)
        },
        "getStarred": { context in try await starred(context, name: "starred") },
        "getStarred2": { context in try await starred(context, name: "starred2") },
        "search2": { context in try await search(context, name: "searchResult2") },
        "search3": { context in try await search(context, name: "searchResult3") },
    ]

    static func yearsAndGenre(_ context: SubsonicContext) throws -> CatalogQueries.Filters {
        var filters = CatalogQueries.Filters()
        filters.genre = context.params.string("genre").flatMap { $0.isEmpty ? nil : $0 }
        filters.fromYear = try context.params.year("fromYear")
        filters.toYear = try context.params.year("toYear")
        return filters
    }

    static func albumList(_ context: SubsonicContext, name: String, asDirectory: Bool) async throws -> SubsonicResult {
        let type = try context.params.require("type")
        let size = try context.params.int("size", default: 10, range: 0...500)
        let offset = try context.params.int("offset", default: 0, range: 0...Int(Int32.max))
        var filters = CatalogQueries.Filters()
        filters.libraryID = try context.params.libraryID()
        let paging = CatalogQueries.Paging(limit: max(size, 1), offset: offset)
        let userID = context.user.userID
        var albums: [AlbumDTO] = []
        func byIDs(_ order: CatalogQueries.PersonalAlbumOrder) async throws -> [AlbumDTO] {
            let ids = try await CatalogQueries.albumIDs(order, userID: userID, paging: paging, on: context.db)
            let found = try await CatalogQueries.albums(
                visible: context.visible, filters: filters, paging: .init(limit: 500, offset: 0),
                ids: ids, on: context.db)
            return CatalogQueries.ordered(found, by: ids) { $0.id }
        }
        switch type {
        case "random":
            if filters.libraryID == nil {
                // Sample from the cached album index: ORDER BY RANDOM() would test every album's visibility per request.
                let index = try await context.app.albumIndex(visible: context.visible, version: context.catalogVersion, on: context.db)
                albums = index.albums(Sampling.pick(size, from: index.ids))
            } else {
                albums = try await CatalogQueries.albums(visible: context.visible, filters: filters, sort: .random, paging: paging, on: context.db)
            }
        case "newest":
            albums = try await CatalogQueries.albums(visible: context.visible, filters: filters, sort: .recent, paging: paging, on: context.db)
        case "alphabeticalByName":
            albums = try await CatalogQueries.albums(visible: context.visible, filters: filters, sort: .name, paging: paging, on: context.db)
        case "alphabeticalByArtist":
            albums = try await CatalogQueries.albums(visible: context.visible, filters: filters, sort: .artist, paging: paging, on: context.db)
        case "byGenre":
            filters.genre = try context.params.require("genre")
            albums = try await CatalogQueries.albums(visible: context.visible, filters: filters, sort: .name, paging: paging, on: context.db)
        case "byYear":
            let from = try context.params.year("fromYear") ?? 0, to = try context.params.year("toYear") ?? 9999
            filters.fromYear = min(from, to)
            filters.toYear = max(from, to)
            // fromYear > toYear lists the years backwards (the Subsonic documentation's example).
            albums = try await CatalogQueries.albums(
                visible: context.visible, filters: filters, sort: from > to ? .yearDescending : .year,
                paging: paging, on: context.db)
        case "highest": albums = try await byIDs(.highestRated)
        case "frequent": albums = try await byIDs(.mostPlayed)
        case "recent": albums = try await byIDs(.recentlyPlayed)
        case "starred": albums = try await byIDs(.starred)
        default:
            throw SubsonicError.invalid("Unknown album list type: \(type)")
        }
        var node = SubsonicNode(name)
        node.add(list: "album", try await SubsonicNodes.albums(size == 0 ? [] : albums, context: context, asDirectory: asDirectory))
        return .node(node)
    }

    static func starred(_ context: SubsonicContext, name: String) async throws -> SubsonicResult {
        var ids: [String: [Int64]] = [:]
        for row in try await context.db.raw(
            """
            SELECT item_type, item_id FROM stars WHERE user_id = \(bind: context.user.userID) ORDER BY created_at DESC
            """
        ).all() {
            ids[try row.decode(column: "item_type", as: String.self), default: []].append(try row.decode(column: "item_id", as: Int64.self))
        }
        let all = CatalogQueries.Paging(limit: 100_000, offset: 0)
        let artists = try await CatalogQueries.artists(ids: ids["artist"] ?? [], visible: context.visible, on: context.db)
        let albums = try await CatalogQueries.albums(visible: context.visible, paging: all, ids: ids["album"] ?? [], on: context.db)
        let tracks = try await CatalogQueries.tracks(visible: context.visible, paging: all, ids: ids["track"] ?? [], on: context.db)
        var node = SubsonicNode(name)
        node.add(
            list: "artist", try await SubsonicNodes.artists(CatalogQueries.ordered(artists, by: ids["artist"] ?? []) { $0.id }, context: context))
        node.add(
            list: "album",
            try await SubsonicNodes.albums(
                CatalogQueries.ordered(albums, by: ids["album"] ?? []) { $0.id }, context: context,
                asDirectory: name == "starred"))
        node.add(list: "song", try await SubsonicNodes.songs(CatalogQueries.ordered(tracks, by: ids["track"] ?? []) { $0.id }, context: context))
        return .node(node)
    }

    /// Offline-sync clients page through everything with large counts; above this they get this many.
    static let maxSearchCount = 10_000

    /// An empty query (`query=`, `""` or `''`) lists everything, paged: offline-sync clients rely on it.
    static func search(_ context: SubsonicContext, name: String) async throws -> SubsonicResult {
        var query = context.params.string("query")?.trimmingCharacters(in: .whitespaces) ?? ""
        if query == "\"\"" || query == "''" { query = "" }
        query = query.trimmingCharacters(in: CharacterSet(charactersIn: "*"))
        guard query.count <= 200 else { throw SubsonicError.invalid("The query is too long.") }
        let p = context.params
        let artistCount = try p.count("artistCount", default: 20, max: maxSearchCount),
            artistOffset = try p.int("artistOffset", default: 0, range: 0...Int(Int32.max))
        let albumCount = try p.count("albumCount", default: 20, max: maxSearchCount),
            albumOffset = try p.int("albumOffset", default: 0, range: 0...Int(Int32.max))
        let songCount = try p.count("songCount", default: 20, max: maxSearchCount),
            songOffset = try p.int("songOffset", default: 0, range: 0...Int(Int32.max))
        var filters = CatalogQueries.Filters()
        filters.libraryID = try p.libraryID()
        let term: String? = query.isEmpty ? nil : query
        let found: (artists: [ArtistDTO], albums: [AlbumDTO], tracks: [TrackDTO])
        if let term {
            // Narrowed to one music folder, the same ranked index over that folder alone.
            let visible = filters.libraryID.map { id in context.visible.filter { $0 == id } } ?? context.visible
            found = try await context.app.search(
                term, visible: visible, version: context.catalogVersion,
                artists: .init(limit: artistCount, offset: artistOffset),
                albums: .init(limit: albumCount, offset: albumOffset),
                tracks: .init(limit: songCount, offset: songOffset), on: context.db)
        } else {
            found = (
                artistCount == 0
                    ? []
                    : try await CatalogQueries.artists(
                        visible: context.visible, filters: filters, paging: .init(limit: artistCount, offset: artistOffset), search: term,
                        albumArtistsOnly: term == nil, on: context.db),
                albumCount == 0
                    ? []
                    : try await CatalogQueries.albums(
                        visible: context.visible, filters: filters, paging: .init(limit: albumCount, offset: albumOffset), search: term,
                        on: context.db),
                songCount == 0
                    ? []
                    : try await CatalogQueries.tracks(
                        visible: context.visible, filters: filters, sort: .title, paging: .init(limit: songCount, offset: songOffset),
                        search: term, on: context.db)
            )
        }
        let notes = try await context.annotations([
            ("artist", found.artists.compactMap { Int64($0.id) }), ("album", found.albums.compactMap { Int64($0.id) }),
            ("track", found.tracks.compactMap { Int64($0.id) }),
        ])
        var node = SubsonicNode(name)
        node.add(list: "artist", found.artists.map { SubsonicNodes.artist($0, annotation: notes["artist"]?[Int64($0.id) ?? 0]) })
        node.add(
            list: "album",
            found.albums.map {
                SubsonicNodes.album($0, annotation: notes["album"]?[Int64($0.id) ?? 0], asDirectory: name == "searchResult2")
            })
        node.add(list: "song", found.tracks.map { SubsonicNodes.song($0, annotation: notes["track"]?[Int64($0.id) ?? 0]) })
        return .node(node)
    }
}

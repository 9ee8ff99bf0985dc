import CadenzaTags
import Vapor
import SQLKit

/// Whole-catalog views built once per catalog version and visible-library set (kept in
/// `Application.catalogCache`), so the hot Subsonic reads need no catalog query at all.
enum CatalogIndex {
    /// Every visible album, assembled.
    struct Albums: Sendable {
        var ids: [Int64]
        var byID: [Int64: AlbumDTO]

        func albums(_ ids: [Int64]) -> [AlbumDTO] { ids.compactMap { byID[$0] } }
    }

    /// Every artist credited on a visible track, assembled (counts over the visible tracks).
    struct Artists: Sendable {
        var byID: [Int64: ArtistDTO]

        func artists(_ ids: [Int64]) -> [ArtistDTO] { ids.compactMap { byID[$0] } }
    }

    /// Visible artists, albums and tracks ranked for search (`RankedIndex`), by name or title.
    struct Search: Sendable {
        var artists = RankedIndex([])
        var albums = RankedIndex([])
        var tracks = RankedIndex([])
    }

    static func albums(visible: [Int64], on db: any SQLDatabase) async throws -> Albums {
        guard let libs = CatalogQueries.libraries(visible, .init()) else { return Albums(ids: [], byID: [:]) }
        let rows = try await db.raw("\(CatalogQueries.albumSelect(libraries: libs)) \(CatalogQueries.albumGroupBy)").all()
        var byID: [Int64: AlbumDTO] = [:]
        var ids: [Int64] = []
        byID.reserveCapacity(rows.count)
        for row in rows {
            let album = try CatalogQueries.album(row: row)
            guard let id = Int64(album.id) else { continue }
            ids.append(id)
            byID[id] = album
        }
        return Albums(ids: ids, byID: byID)
    }

    static func artists(visible: [Int64], on db: any SQLDatabase) async throws -> Artists {
        guard let libs = CatalogQueries.libraries(visible, .init()) else { return Artists(byID: [:]) }
        var byID: [Int64: ArtistDTO] = [:]
        for row in try await db.raw(
            """
            SELECT ar.id, ar.name, ar.sort_name, ar.mbid, COUNT(DISTINCT t.album_id) AS album_count, COUNT(DISTINCT t.id) AS track_count,
                   MAX(al.artwork_id) AS artwork_id
            FROM artists ar
            JOIN track_artists ta ON ta.artist_id = ar.id JOIN tracks t ON t.id = ta.track_id AND t.library_id IN (\(libs))
            JOIN albums al ON al.id = t.album_id
            GROUP BY ar.id, ar.name, ar.sort_name, ar.mbid
            """
        ).all() {
            let artist = try CatalogQueries.artist(row: row)
            if let id = Int64(artist.id) { byID[id] = artist }
        }
        return Artists(byID: byID)
    }

    /// Popularity is the plays of everyone who shares their listens (`CatalogQueries.sharedPlays`),
    /// as of the catalog version the index is built for.
    static func search(visible: [Int64], on db: any SQLDatabase) async throws -> Search {
        guard let libs = CatalogQueries.libraries(visible, .init()) else { return Search() }
        func entries(_ sql: SQLQueryString) async throws -> [RankedIndex.Entry] {
            try await db.raw(sql).all().map {
                RankedIndex.Entry(
                    id: try $0.decode(column: "id", as: Int64.self), name: try $0.decode(column: "name", as: String.self),
                    popularity: try $0.decode(column: "plays", as: Int64?.self) ?? 0)
            }
        }
        let plays = CatalogQueries.sharedPlays
        let artists = try await entries(
            """
            SELECT ar.id, ar.name, CAST(SUM(p.plays) AS BIGINT) AS plays FROM artists ar
            JOIN track_artists ta ON ta.artist_id = ar.id JOIN tracks t ON t.id = ta.track_id AND t.library_id IN (\(libs))
            LEFT JOIN (\(plays)) p ON p.track_id = t.id
            GROUP BY ar.id, ar.name, ar.sort_name ORDER BY ar.sort_name, ar.id
            """)
        let albums = try await entries(
            """
            SELECT a.id, a.title AS name, CAST(SUM(p.plays) AS BIGINT) AS plays FROM albums a
            JOIN tracks t ON t.album_id = a.id AND t.library_id IN (\(libs))
            LEFT JOIN (\(plays)) p ON p.track_id = t.id
            GROUP BY a.id, a.title, a.sort_title ORDER BY a.sort_title, a.id
            """)
        let tracks = try await entries(
            """
            SELECT t.id, t.title AS name, CAST(p.plays AS BIGINT) AS plays FROM tracks t LEFT JOIN (\(plays)) p ON p.track_id = t.id
            WHERE t.library_id IN (\(libs)) ORDER BY t.sort_title, t.id
            """)
        return await runBlocking { Search(artists: RankedIndex(artists), albums: RankedIndex(albums), tracks: RankedIndex(tracks)) }
    }
}

extension Application {
    func albumIndex(visible: [Int64], version: String, on db: any SQLDatabase) async throws -> CatalogIndex.Albums {
        try await catalogCache.value("albums:\(visible)", version: version) {
            try await CatalogIndex.albums(visible: visible, on: db)
        }
    }

    func artistIndex(visible: [Int64], version: String, on db: any SQLDatabase) async throws -> CatalogIndex.Artists {
        try await catalogCache.value("artists:\(visible)", version: version) {
            try await CatalogIndex.artists(visible: visible, on: db)
        }
    }

    func searchIndex(visible: [Int64], version: String, on db: any SQLDatabase) async throws -> CatalogIndex.Search {
        try await catalogCache.value("search:\(visible)", version: version) {
            try await CatalogIndex.search(visible: visible, on: db)
        }
    }

    /// Tracks by id, assembled once per catalog version and kept in the item cache; the misses in one query.
    func tracks(_ ids: [Int64], visible: [Int64], version: String, on db: any SQLDatabase) async throws -> [TrackDTO] {
        let scope = "track:\(visible):"
        var found: [Int64: TrackDTO] = [:]
        var missing: [Int64] = []
        for id in ids {
            if let hit: TrackDTO = try catalogItemCache.cached(scope + String(id), version: version) { found[id] = hit } else { missing.append(id) }
        }
        if !missing.isEmpty {
            for track in try await CatalogQueries.tracks(visible: visible, paging: .init(limit: missing.count, offset: 0), ids: missing, on: db) {
                guard let id = Int64(track.id) else { continue }
                found[id] = track
                try catalogItemCache.store(track, scope + track.id, version: version)
            }
        }
        return ids.compactMap { found[$0] }
    }

    /// A search with words, answered from the in-memory search index (ranked, typo-tolerant).
    func search(
        _ term: String, visible: [Int64], version: String, artists: CatalogQueries.Paging, albums: CatalogQueries.Paging,
        tracks: CatalogQueries.Paging, on db: any SQLDatabase
    ) async throws -> (artists: [ArtistDTO], albums: [AlbumDTO], tracks: [TrackDTO]) {
        let index = try await searchIndex(visible: visible, version: version, on: db)
        let artistIDs = index.artists.search(term, offset: artists.offset, limit: artists.limit)
        let albumIDs = index.albums.search(term, offset: albums.offset, limit: albums.limit)
        let trackIDs = index.tracks.search(term, offset: tracks.offset, limit: tracks.limit)
        let foundArtists = artistIDs.isEmpty ? [] : try await artistIndex(visible: visible, version: version, on: db).artists(artistIDs)
        let foundAlbums = albumIDs.isEmpty ? [] : try await albumIndex(visible: visible, version: version, on: db).albums(albumIDs)
        let foundTracks = try await self.tracks(trackIDs, visible: visible, version: version, on: db)
        return (foundArtists, foundAlbums, foundTracks)
    }
}

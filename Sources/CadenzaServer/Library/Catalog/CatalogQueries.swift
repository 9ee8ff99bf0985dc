import CadenzaTags
import SQLKit
import Vapor

/// Catalog reads. Every function takes the caller's visible library ids and sees nothing else;
/// each answers with a fixed number of statements whatever the page size (no N+1).
enum CatalogQueries {
    struct Paging: Sendable {
        var limit: Int
        var offset: Int
    }

    enum AlbumSort: String, CaseIterable, Sendable {
        case name, year, yearDescending, recent, artist, random
    }

    enum TrackSort: String, CaseIterable, Sendable {
        case title, recent, year, album, random
    }

    enum ArtistSort: String, CaseIterable, Sendable {
        case name, recent
    }

    struct Filters: Sendable {
        var genre: String?
        var libraryID: Int64?
        var artistID: Int64?
        var albumID: Int64?
        var fromYear: Int?
        var toYear: Int?
    }

    /// The visible libraries narrowed by an optional library filter, as an SQL list.
    static func libraries(_ visible: [Int64], _ filters: Filters) -> SQLList? {
        let ids = filters.libraryID.map { id in visible.contains(id) ? [id] : [] } ?? visible
        return ids.isEmpty ? nil : SQLList(integers: ids)
    }

    /// Keeps tracks `t` that carry the genre (matched by normalised name).
    static func genreCondition(_ genre: String) -> SQLQueryString {
        "AND EXISTS (SELECT 1 FROM track_genres tg JOIN genres g ON g.id = tg.genre_id WHERE tg.track_id = t.id AND g.name_key = \(bind: NameKey.make(genre)))"
    }

    /// Album rows with their artist and the count and length of their visible tracks (read by `album(row:)`).
    static func albumSelect(libraries libs: SQLList) -> SQLQueryString {
        """
        SELECT a.id, a.title, a.year, a.original_year, a.compilation, a.release_types, a.mbid, a.artwork_id, a.created_at,
               ar.id AS artist_id, ar.name AS artist_name, COUNT(t.id) AS track_count, CAST(SUM(t.duration_ms) AS BIGINT) AS duration_ms
        FROM albums a
        JOIN artists ar ON ar.id = a.album_artist_id
        JOIN tracks t ON t.album_id = a.id AND t.library_id IN (\(libs))
        """
    }

    static let albumGroupBy: SQLQueryString = """
        GROUP BY a.id, a.title, a.year, a.original_year, a.compilation, a.release_types, a.mbid, a.artwork_id, a.created_at, a.sort_title,
                 ar.id, ar.name, ar.sort_name
        """

    static func escapeLike(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
    }

    // MARK: albums

    /// Albums in two steps: pick the page's ids from `albums` alone (indexes, no aggregation), then
    /// count and time only those albums' visible tracks. Aggregating the whole catalog for every
    /// page was the cost of a 20,000-track library.
    static func albums(
        visible: [Int64], filters: Filters = .init(), sort: AlbumSort = .name, paging: Paging,
        search: String? = nil, ids: [Int64]? = nil, on db: any SQLDatabase
    ) async throws -> [AlbumDTO] {
        guard let libs = libraries(visible, filters) else { return [] }
        var trackConditions: [SQLQueryString] = []
        var albumConditions: [SQLQueryString] = []
        if let ids {
            guard !ids.isEmpty else { return [] }
            albumConditions.append("AND a.id IN (\(SQLList(integers: ids)))")
        }
        if let artist = filters.artistID {
            trackConditions.append(
                "AND (a.album_artist_id = \(bind: artist) OR EXISTS (SELECT 1 FROM track_artists ta WHERE ta.track_id = t.id AND ta.artist_id = \(bind: artist)))"
            )
        }
        if let genre = filters.genre { trackConditions.append(genreCondition(genre)) }
        if let from = filters.fromYear { albumConditions.append("AND COALESCE(a.year, 0) >= \(bind: from)") }
        if let to = filters.toYear { albumConditions.append("AND COALESCE(a.year, 0) <= \(bind: to)") }
        if let search {
            albumConditions.append("AND a.sort_title LIKE \(bind: "%" + escapeLike(NameKey.sort(search)) + "%") ESCAPE '\\'")
        }
        let order: SQLQueryString
        switch sort {
        case .name: order = "a.sort_title, a.id"
        case .year: order = "COALESCE(a.year, 0), a.sort_title, a.id"
        case .yearDescending: order = "COALESCE(a.year, 0) DESC, a.sort_title, a.id"
        case .recent: order = "a.created_at DESC, a.id DESC"
        case .artist: order = "ar.sort_name, COALESCE(a.year, 0), a.sort_title, a.id"
        case .random: order = "RANDOM()"
        }
        let albumFilter = albumConditions.reduce(SQLQueryString("")) { $0 + " " + $1 }
        let trackFilter = trackConditions.reduce(SQLQueryString("")) { $0 + " " + $1 }
        let pageIDs = try await db.raw(
            """
            SELECT a.id FROM albums a JOIN artists ar ON ar.id = a.album_artist_id
            WHERE EXISTS (SELECT 1 FROM tracks t WHERE t.album_id = a.id AND t.library_id IN (\(libs)) \(trackFilter)) \(albumFilter)
            ORDER BY \(order) LIMIT \(bind: paging.limit) OFFSET \(bind: paging.offset)
            """
        ).all().map { try $0.decode(column: "id", as: Int64.self) }
        guard !pageIDs.isEmpty else { return [] }
        let rows = try await db.raw(
            """
            \(albumSelect(libraries: libs)) WHERE a.id IN (\(SQLList(integers: pageIDs))) \(albumGroupBy)
            """
        ).all()
        return ordered(try rows.map(album(row:)), by: pageIDs) { $0.id }
    }

    static func album(row: any SQLRow) throws -> AlbumDTO {
        AlbumDTO(
            id: String(try row.decode(column: "id", as: Int64.self)),
            title: try row.decode(column: "title", as: String.self),
            artist: ArtistRef(
                id: String(try row.decode(column: "artist_id", as: Int64.self)),
                name: try row.decode(column: "artist_name", as: String.self)),
            year: try row.decode(column: "year", as: Int?.self),
            originalYear: try row.decode(column: "original_year", as: Int?.self),
            compilation: try row.decode(column: "compilation", as: Bool.self),
            releaseTypes: try row.decode(column: "release_types", as: String.self).split(separator: ";").map(String.init),
            mbid: try row.decode(column: "mbid", as: String?.self),
            trackCount: try row.decode(column: "track_count", as: Int.self),
            durationMs: try row.decode(column: "duration_ms", as: Int?.self) ?? 0,
            artworkId: try row.decode(column: "artwork_id", as: Int64?.self).map(String.init),
            createdAt: Clock.date(try row.decode(column: "created_at", as: Int64.self)))
    }

    static func album(id: Int64, visible: [Int64], on db: any SQLDatabase) async throws -> AlbumDetailDTO? {
        guard let libs = libraries(visible, .init()) else { return nil }
        let row = try await db.raw("\(albumSelect(libraries: libs)) WHERE a.id = \(bind: id) \(albumGroupBy)").first()
        guard let row else { return nil }
        let tracks = try await self.tracks(
            visible: visible, filters: .init(albumID: id), sort: .album,
            paging: .init(limit: 5000, offset: 0), on: db)
        return AlbumDetailDTO(album: try album(row: row), tracks: tracks)
    }

    // MARK: artists

    /// Artists in two steps like albums: the page's ids first, then counts for those only.
    static func artists(
        visible: [Int64], filters: Filters = .init(), sort: ArtistSort = .name, paging: Paging,
        search: String? = nil, albumArtistsOnly: Bool = false, ids: [Int64]? = nil,
        on db: any SQLDatabase
    ) async throws -> [ArtistDTO] {
        guard let libs = libraries(visible, filters) else { return [] }
        var conditions: [SQLQueryString] = []
        if let ids {
            guard !ids.isEmpty else { return [] }
            conditions.append("AND ar.id IN (\(SQLList(integers: ids)))")
        }
        let genre: SQLQueryString = filters.genre.map(genreCondition) ?? ""
        if let search {
            let key = escapeLike(NameKey.make(search)), sortKey = escapeLike(NameKey.sort(search))
            conditions.append(
                "AND (ar.name_key LIKE \(bind: "%" + key + "%") ESCAPE '\\' OR ar.sort_name LIKE \(bind: "%" + sortKey + "%") ESCAPE '\\')")
        }
        // Album artists are who an album is filed under; track artists include guests.
        let exists: SQLQueryString =
            albumArtistsOnly
            ? "EXISTS (SELECT 1 FROM albums a WHERE a.album_artist_id = ar.id AND EXISTS (SELECT 1 FROM tracks t WHERE t.album_id = a.id AND t.library_id IN (\(libs)) \(genre)))"
            : "EXISTS (SELECT 1 FROM track_artists ta JOIN tracks t ON t.id = ta.track_id WHERE ta.artist_id = ar.id AND t.library_id IN (\(libs)) \(genre))"
        let filter = conditions.reduce(SQLQueryString("")) { $0 + " " + $1 }
        let order: SQLQueryString = sort == .name ? "ar.sort_name, ar.id" : "ar.created_at DESC, ar.id DESC"
        let pageIDs = try await db.raw(
            """
            SELECT ar.id FROM artists ar WHERE \(exists) \(filter) ORDER BY \(order) LIMIT \(bind: paging.limit) OFFSET \(bind: paging.offset)
            """
        ).all().map { try $0.decode(column: "id", as: Int64.self) }
        guard !pageIDs.isEmpty else { return [] }
        let list = SQLList(integers: pageIDs)
        let join: SQLQueryString =
            albumArtistsOnly
            ? "JOIN albums al ON al.album_artist_id = ar.id JOIN tracks t ON t.album_id = al.id AND t.library_id IN (\(libs))"
            : "JOIN track_artists ta ON ta.artist_id = ar.id JOIN tracks t ON t.id = ta.track_id AND t.library_id IN (\(libs)) JOIN albums al ON al.id = t.album_id"
        let rows = try await db.raw(
            """
            SELECT ar.id, ar.name, ar.sort_name, ar.mbid, COUNT(DISTINCT t.album_id) AS album_count, COUNT(DISTINCT t.id) AS track_count,
                   MAX(al.artwork_id) AS artwork_id
            FROM artists ar \(join) WHERE ar.id IN (\(list))
            GROUP BY ar.id, ar.name, ar.sort_name, ar.mbid
            """
        ).all()
        return ordered(try rows.map(artist(row:)), by: pageIDs) { $0.id }
    }

    /// Artists by id, in the order given, whether credited on visible tracks or only filed as the
    /// album artist of visible albums (a "Various Artists" entry someone starred).
    static func artists(ids: [Int64], visible: [Int64], on db: any SQLDatabase) async throws -> [ArtistDTO] {
        guard !ids.isEmpty else { return [] }
        let page = Paging(limit: ids.count, offset: 0)
        var found = try await artists(visible: visible, paging: page, ids: ids, on: db)
        let seen = Set(found.map(\.id))
        let rest = ids.filter { !seen.contains(String($0)) }
        if !rest.isEmpty {
            found += try await artists(visible: visible, paging: page, albumArtistsOnly: true, ids: rest, on: db)
        }
        return ordered(found, by: ids, id: \.id)
    }

    static func artist(row: any SQLRow) throws -> ArtistDTO {
        ArtistDTO(
            id: String(try row.decode(column: "id", as: Int64.self)), name: try row.decode(column: "name", as: String.self),
            sortName: try row.decode(column: "sort_name", as: String.self), mbid: try row.decode(column: "mbid", as: String?.self),
            albumCount: try row.decode(column: "album_count", as: Int.self), trackCount: try row.decode(column: "track_count", as: Int.self),
            artworkId: try row.decode(column: "artwork_id", as: Int64?.self).map(String.init))
    }

    static func artist(id: Int64, visible: [Int64], on db: any SQLDatabase) async throws -> ArtistDetailDTO? {
        guard let libs = libraries(visible, .init()) else { return nil }
        let row = try await db.raw(
            """
            SELECT ar.id, ar.name, ar.sort_name, ar.mbid, COUNT(DISTINCT t.album_id) AS album_count, COUNT(DISTINCT t.id) AS track_count,
                   MAX(al.artwork_id) AS artwork_id
            FROM artists ar
            JOIN track_artists ta ON ta.artist_id = ar.id JOIN tracks t ON t.id = ta.track_id AND t.library_id IN (\(libs))
            LEFT JOIN albums al ON al.id = t.album_id
            WHERE ar.id = \(bind: id)
            GROUP BY ar.id, ar.name, ar.sort_name, ar.mbid
            """
        ).first()
        let albums = try await self.albums(visible: visible, filters: .init(artistID: id), sort: .year, paging: .init(limit: 1000, offset: 0), on: db)
        guard let row else {
            // An album artist with no track credits of their own (a "Various Artists" entry).
            guard let first = albums.first, first.artist.id == String(id) else { return nil }
            let dto = ArtistDTO(
                id: String(id), name: first.artist.name, sortName: NameKey.sort(first.artist.name), mbid: nil,
                albumCount: albums.count, trackCount: albums.map(\.trackCount).reduce(0, +), artworkId: first.artworkId)
            return ArtistDetailDTO(artist: dto, albums: albums)
        }
        return ArtistDetailDTO(artist: try artist(row: row), albums: albums)
    }

    // MARK: tracks

    static func tracks(
        visible: [Int64], filters: Filters = .init(), sort: TrackSort = .title, paging: Paging,
        search: String? = nil, ids: [Int64]? = nil, on db: any SQLDatabase
    ) async throws -> [TrackDTO] {
        guard let libs = libraries(visible, filters) else { return [] }
        var conditions: [SQLQueryString] = []
        if let album = filters.albumID { conditions.append("AND t.album_id = \(bind: album)") }
        if let artist = filters.artistID {
            conditions.append("AND EXISTS (SELECT 1 FROM track_artists ta WHERE ta.track_id = t.id AND ta.artist_id = \(bind: artist))")
        }
        if let genre = filters.genre {
            conditions.append(genreCondition(genre))
        }
        if let from = filters.fromYear { conditions.append("AND COALESCE(t.year, 0) >= \(bind: from)") }
        if let to = filters.toYear { conditions.append("AND COALESCE(t.year, 0) <= \(bind: to)") }
        if let search {
            conditions.append("AND t.sort_title LIKE \(bind: "%" + escapeLike(NameKey.sort(search)) + "%") ESCAPE '\\'")
        }
        if let ids {
            guard !ids.isEmpty else { return [] }
            conditions.append("AND t.id IN (\(SQLList(integers: ids)))")
        }
        let order: SQLQueryString
        switch sort {
        case .title: order = "t.sort_title, t.id"
        case .recent: order = "t.created_at DESC, t.id DESC"
        case .year: order = "COALESCE(t.year, 0), t.sort_title, t.id"
        case .album: order = "COALESCE(t.disc_number, 1), COALESCE(t.track_number, 0), t.sort_title, t.id"
        case .random: order = "RANDOM()"
        }
        let filter = conditions.reduce(SQLQueryString("")) { $0 + " " + $1 }
        let rows = try await db.raw(
            """
            SELECT t.*, a.title AS album_title, a.artwork_id, ar.id AS album_artist_id, ar.name AS album_artist_name
            FROM tracks t JOIN albums a ON a.id = t.album_id JOIN artists ar ON ar.id = a.album_artist_id
            WHERE t.library_id IN (\(libs)) \(filter)
            ORDER BY \(order) LIMIT \(bind: paging.limit) OFFSET \(bind: paging.offset)
            """
        ).all()
        return try await assemble(rows: rows, on: db)
    }

    /// Keeps `items` in the order of `ids` (queries by id list come back in any order).
    static func ordered<T>(_ items: [T], by ids: [Int64], id: (T) -> String) -> [T] {
        let byID = Dictionary(items.map { (id($0), $0) }, uniquingKeysWith: { first, _ in first })
        return ids.compactMap { byID[String($0)] }
    }

    /// Turns track rows into DTOs with their artists, genres and files: two more statements in all.
    static func assemble(rows: [any SQLRow], on db: any SQLDatabase) async throws -> [TrackDTO] {
        guard !rows.isEmpty else { return [] }
        let ids = try rows.map { try $0.decode(column: "id", as: Int64.self) }
        let idList = SQLList(integers: ids)
        var artists: [Int64: [ArtistRef]] = [:]
        var genres: [Int64: [String]] = [:]
        // Credits and genres in one statement.
        for row in try await db.raw(
            """
            SELECT 'a' AS k, ta.track_id, ar.id AS ref_id, ar.name AS name, ta.position AS pos
            FROM track_artists ta JOIN artists ar ON ar.id = ta.artist_id WHERE ta.track_id IN (\(idList))
            UNION ALL
            SELECT 'g' AS k, tg.track_id, g.id AS ref_id, g.name AS name, 0 AS pos
            FROM track_genres tg JOIN genres g ON g.id = tg.genre_id WHERE tg.track_id IN (\(idList))
            ORDER BY 2, 1, 5, 4
            """
        ).all() {
            let track = try row.decode(column: "track_id", as: Int64.self)
            let name = try row.decode(column: "name", as: String.self)
            if try row.decode(column: "k", as: String.self) == "a" {
                artists[track, default: []].append(ArtistRef(id: String(try row.decode(column: "ref_id", as: Int64.self)), name: name))
            } else {
                genres[track, default: []].append(name)
            }
        }
        var files: [Int64: [FileDTO]] = [:]
        for row in try await db.raw("SELECT * FROM files WHERE track_id IN (\(idList)) ORDER BY id").all() {
            files[try row.decode(column: "track_id", as: Int64.self), default: []].append(try file(row: row))
        }
        return try rows.map { row in
            let id = try row.decode(column: "id", as: Int64.self)
            let gains = TrackDTO.ReplayGain(
                trackGain: try row.decode(column: "rg_track_gain", as: Double?.self).finite,
                trackPeak: try row.decode(column: "rg_track_peak", as: Double?.self).finite,
                albumGain: try row.decode(column: "rg_album_gain", as: Double?.self).finite,
                albumPeak: try row.decode(column: "rg_album_peak", as: Double?.self).finite)
            return TrackDTO(
                id: String(id), title: try row.decode(column: "title", as: String.self),
                artist: try row.decode(column: "artist_display", as: String.self), artists: artists[id] ?? [],
                album: ArtistRef(
                    id: String(try row.decode(column: "album_id", as: Int64.self)), name: try row.decode(column: "album_title", as: String.self)),
                albumArtist: ArtistRef(
                    id: String(try row.decode(column: "album_artist_id", as: Int64.self)),
                    name: try row.decode(column: "album_artist_name", as: String.self)),
                discNumber: try row.decode(column: "disc_number", as: Int?.self), trackNumber: try row.decode(column: "track_number", as: Int?.self),
                durationMs: try row.decode(column: "duration_ms", as: Int.self), year: try row.decode(column: "year", as: Int?.self),
                genre: try row.decode(column: "genre", as: String?.self), genres: genres[id] ?? [],
                mbid: try row.decode(column: "mbid", as: String?.self), bpm: try row.decode(column: "bpm", as: Int?.self),
                replayGain: gains.trackGain == nil && gains.albumGain == nil ? nil : gains,
                artworkId: try row.decode(column: "artwork_id", as: Int64?.self).map(String.init),
                libraryId: String(try row.decode(column: "library_id", as: Int64.self)), files: files[id] ?? [],
                createdAt: Clock.date(try row.decode(column: "created_at", as: Int64.self)))
        }
    }

    static func file(row: any SQLRow) throws -> FileDTO {
        FileDTO(
            id: String(try row.decode(column: "id", as: Int64.self)), libraryId: String(try row.decode(column: "library_id", as: Int64.self)),
            path: try row.decode(column: "path", as: String.self), format: try row.decode(column: "format", as: String?.self),
            bitrate: try row.decode(column: "bitrate", as: Int?.self), sampleRate: try row.decode(column: "sample_rate", as: Int?.self),
            channels: try row.decode(column: "channels", as: Int?.self), size: try row.decode(column: "size", as: Int64.self),
            status: try row.decode(column: "status", as: String.self), error: try row.decode(column: "error", as: String?.self),
            originalName: try row.decode(column: "original_name", as: String?.self))
    }

    static func genres(visible: [Int64], on db: any SQLDatabase) async throws -> [GenreDTO] {
        guard let libs = libraries(visible, .init()) else { return [] }
        return try await db.raw(
            """
            SELECT g.name, COUNT(DISTINCT t.id) AS track_count, COUNT(DISTINCT t.album_id) AS album_count
            FROM genres g JOIN track_genres tg ON tg.genre_id = g.id JOIN tracks t ON t.id = tg.track_id AND t.library_id IN (\(libs))
            GROUP BY g.id, g.name ORDER BY g.name
            """
        ).all().map { row in
            GenreDTO(
                name: try row.decode(column: "name", as: String.self), trackCount: try row.decode(column: "track_count", as: Int.self),
                albumCount: try row.decode(column: "album_count", as: Int.self))
        }
    }

    /// A file the caller may stream, with the absolute path it lives at.
    static func streamableFile(
        id: Int64, visible: [Int64], on db: any SQLDatabase
    ) async throws -> (file: FileDTO, absolutePath: String, hash: String?, mtime: Int64)? {
        guard !visible.isEmpty else { return nil }
        let row = try await db.raw(
            """
            SELECT f.*, lf.path AS root FROM files f JOIN library_folders lf ON lf.id = f.folder_id
            WHERE f.id = \(bind: id) AND f.library_id IN (\(SQLList(visible.map { SQLBind($0) })))
            """
        ).first()
        guard let row else { return nil }
        let file = try file(row: row)
        let root = try row.decode(column: "root", as: String.self)
        return (
            file, SafePath.join(root: root, relative: file.path) ?? "", try row.decode(column: "content_hash", as: String?.self),
            try row.decode(column: "mtime", as: Int64.self)
        )
    }

    /// The first imported file of a track the caller may see.
    static func primaryFileID(trackID: Int64, visible: [Int64], on db: any SQLDatabase) async throws -> Int64? {
        guard !visible.isEmpty else { return nil }
        return try await db.raw(
            """
            SELECT f.id FROM files f WHERE f.track_id = \(bind: trackID) AND f.status = 'imported'
              AND f.library_id IN (\(SQLList(visible.map { SQLBind($0) }))) ORDER BY f.id LIMIT 1
            """
        ).first()?.decode(column: "id", as: Int64.self)
    }
}

/// Joins a stored relative path to its folder, refusing anything that would leave the folder.
enum SafePath {
    static func join(root: String, relative: String) -> String? {
        guard !relative.hasPrefix("/"), !relative.split(separator: "/").contains(where: { $0 == ".." }) else { return nil }
        let joined = URL(fileURLWithPath: root).appendingPathComponent(relative).standardizedFileURL.path
        return joined.hasPrefix(root.hasSuffix("/") ? root : root + "/") ? joined : nil
    }
}

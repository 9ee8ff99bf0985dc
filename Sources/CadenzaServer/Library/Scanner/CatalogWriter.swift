import CadenzaTags
import Foundation
import SQLKit

/// Writes what the scanner read into the catalog. One writer serves one scan: it remembers the
/// ids of artists, albums and genres it has seen, so a 20,000-track scan looks each up once.
/// Unchecked Sendable: a scan uses its writer from one task at a time, inside its transactions.
final class CatalogWriter: @unchecked Sendable {
    let libraryID: Int64
    let folderID: Int64
    private var artists: [String: Int64] = [:]
    private var albums: [String: Int64] = [:]
    private var albumsNeedingArt: Set<Int64> = []
    /// Covers found for albums since the last flush, written with the batch.
    private var pendingCovers: [Int64: ArtworkStore.Stored] = [:]
    /// Release types each album was given in this scan; any file of it may carry them.
    private var albumReleaseTypes: [Int64: String] = [:]
    /// Albums this writer created since its last flush: announced then (`album.added`).
    private var newAlbums: [LibraryEvents.AlbumAdded] = []
    private var genres: [String: Int64] = [:]
    /// New tracks, link rows and new file rows wait here and are written per batch with
    /// multi-row inserts; a file or link of a new track names it by match key until then.
    private var pendingArtists: [Int64: [Int64]] = [:]
    private var pendingGenres: [Int64: [Int64]] = [:]
    private var pendingFiles: [(track: TrackRef?, values: [SQLRowValue])] = []
    private var pendingTracks: [(key: String, values: [SQLRowValue], artists: [Int64], genres: [Int64])] = []
    private var pendingTrackKeys: Set<String> = []
    /// Track ids by match key, looked up for a whole batch at once.
    private var knownTracks: [String: Int64] = [:]
    /// Match keys this batch looked up and did not find: a new track costs no second lookup.
    private var absentTracks: Set<String> = []

    /// A track by id, or one of this batch's new tracks by match key.
    enum TrackRef: Sendable, Equatable {
        case id(Int64)
        case pending(String)
    }

    init(libraryID: Int64, folderID: Int64) {
        self.libraryID = libraryID
        self.folderID = folderID
    }

    // MARK: artists

    /// Merged by MusicBrainz id when known, otherwise by normalised name.
    func artistID(name rawName: String, mbid: String?, sortName: String?, on db: any SQLDatabase) async throws -> Int64 {
        let name = rawName.isEmpty ? "Unknown Artist" : String(rawName.prefix(500))
        let key = NameKey.make(name)
        let cacheKey = mbid.map { "mbid:\($0)" } ?? "name:\(key)"
        if let id = artists[cacheKey] { return id }
        var id: Int64?
        if let mbid {
            id = try await db.raw("SELECT id FROM artists WHERE mbid = \(bind: mbid)").first()?.decode(column: "id", as: Int64.self)
            if id == nil {
                // The same artist seen earlier without an id adopts this one.
                id = try await db.raw(
                    """
                    UPDATE artists SET mbid = \(bind: mbid) WHERE id = (SELECT id FROM artists WHERE name_key = \(bind: key) AND mbid IS NULL LIMIT 1)
                    RETURNING id
                    """
                ).first()?.decode(column: "id", as: Int64.self)
            }
        } else {
            id = try await db.raw(
                """
                SELECT id FROM artists WHERE name_key = \(bind: key) ORDER BY CASE WHEN mbid IS NULL THEN 0 ELSE 1 END, id LIMIT 1
                """
            ).first()?.decode(column: "id", as: Int64.self)
        }
        if id == nil {
            let sort = sortName.map(NameKey.make) ?? NameKey.sort(name)
            id = try await db.raw(
                """
                INSERT INTO artists (name, sort_name, name_key, mbid, created_at)
                VALUES (\(bind: name), \(bind: sort), \(bind: key), \(bind: mbid), \(bind: Clock.nowMillis()))
                ON CONFLICT DO NOTHING RETURNING id
                """
            ).first()?.decode(column: "id", as: Int64.self)
            if id == nil {  // another scan inserted it a moment ago
                id = try await db.raw("SELECT id FROM artists WHERE name_key = \(bind: key) ORDER BY id LIMIT 1")
                    .first()?.decode(column: "id", as: Int64.self)
            }
        }
        guard let id else { throw LibraryScanner.Failure("could not store artist \(name)") }
        artists[cacheKey] = id
        return id
    }

    // MARK: albums

    /// Albums are one per MusicBrainz release in each library, or per (album artist, title,
    /// folder) without one: two same-named albums of one artist in different folders stay two
    /// albums. A release never joins albums across libraries: which libraries hold it is not
    /// something a file's tags may reveal, and a private album's title and cover stay private.
    func albumID(tags: AudioTags, albumArtistID: Int64, directory: String, on db: any SQLDatabase) async throws -> Int64 {
        let matchKey = albumMatchKey(tags: tags, albumArtistID: albumArtistID, directory: directory)
        let releaseTypes = tags.releaseTypes.joined(separator: ";")
        if albums[matchKey] == nil {
            try await prepareAlbums([(tags, albumArtistID, directory)], on: db)
        }
        guard let id = albums[matchKey] else { throw LibraryScanner.Failure("could not store album \(Self.albumTitle(tags))") }
        try await store(releaseTypes: releaseTypes, albumID: id, on: db)
        return id
    }

    static func albumTitle(_ tags: AudioTags) -> String {
        String((tags.album ?? "[Unknown Album]").prefix(500))
    }

    func albumMatchKey(tags: AudioTags, albumArtistID: Int64, directory: String) -> String {
        tags.albumMBID.map { "mbid:\($0)|lib:\(libraryID)" }
            ?? "key:\(albumArtistID)|\(NameKey.make(Self.albumTitle(tags)))|\(folderID):\(Self.albumDirectory(directory))"
    }

    /// Finds or creates the albums of a whole batch of files: one SELECT and one multi-row
    /// INSERT per 400 albums instead of two statements per album.
    func prepareAlbums(_ files: [(tags: AudioTags, albumArtistID: Int64, directory: String)], on db: any SQLDatabase) async throws {
        var wanted: [String: (tags: AudioTags, albumArtistID: Int64)] = [:]
        var order: [String] = []
        for file in files {
            let key = albumMatchKey(tags: file.tags, albumArtistID: file.albumArtistID, directory: file.directory)
            guard albums[key] == nil, wanted[key] == nil else { continue }
            wanted[key] = (file.tags, file.albumArtistID)
            order.append(key)
        }
        guard !order.isEmpty else { return }
        func take(_ rows: [any SQLRow]) throws -> [Int64] {
            var taken: [Int64] = []
            for row in rows {
                let id = try row.decode(column: "id", as: Int64.self)
                let key = try row.decode(column: "match_key", as: String.self)
                guard albums[key] == nil else { continue }
                albums[key] = id
                if try row.decode(column: "artwork_id", as: Int64?.self) == nil { albumsNeedingArt.insert(id) }
                taken.append(id)
            }
            return taken
        }
        for chunk in order.chunked(400) {
            _ = try take(
                try await db.raw("SELECT id, artwork_id, match_key FROM albums WHERE match_key IN (\(SQLList(chunk.map { SQLBind($0) })))").all())
        }
        // Sorted: concurrent scans of one library insert shared keys in one order (no deadlock).
        let missing = order.filter { albums[$0] == nil }.sorted()
        guard !missing.isEmpty else { return }
        let now = Clock.nowMillis()
        let rows: [[any SQLExpression]] = missing.compactMap { key in
            guard let (tags, artistID) = wanted[key] else { return nil }
            let title = Self.albumTitle(tags)
            return [
                SQLBind(title), SQLBind(tags.albumSort.map(NameKey.make) ?? NameKey.sort(title)), SQLBind(key), SQLBind(artistID),
                SQLBind(tags.year), SQLBind(tags.originalYear), SQLBind(tags.compilation), SQLBind(tags.albumMBID),
                SQLBind(tags.releaseGroupMBID), SQLBind(tags.releaseTypes.joined(separator: ";")), SQLBind(now), SQLBind(now),
            ]
        }
        let created = try await db.insertRows(
            into: """
                albums (title, sort_title, match_key, album_artist_id, year, original_year, compilation, mbid,
                        release_group_mbid, release_types, created_at, updated_at)
                """,
            rows: rows, suffix: "ON CONFLICT DO NOTHING RETURNING id, artwork_id, match_key", maxBinds: 900)
        for row in created {
            let key = try row.decode(column: "match_key", as: String.self)
            guard let (tags, artistID) = wanted[key] else { continue }
            let id = try row.decode(column: "id", as: Int64.self)
            albumReleaseTypes[id] = tags.releaseTypes.joined(separator: ";")
            let artist = tags.albumArtists.first ?? (tags.compilation ? "Various Artists" : tags.artists.first ?? "Unknown Artist")
            newAlbums.append(
                .init(
                    albumId: String(id), title: Self.albumTitle(tags), artistId: String(artistID), artist: String(artist.prefix(200)),
                    libraryId: String(libraryID)))
        }
        _ = try take(created)
        // Albums another scan created a moment ago.
        let raced = missing.filter { albums[$0] == nil }
        for chunk in raced.chunked(400) {
            _ = try take(
                try await db.raw("SELECT id, artwork_id, match_key FROM albums WHERE match_key IN (\(SQLList(chunk.map { SQLBind($0) })))").all())
        }
    }

    /// Picard tags every file of a release, other taggers maybe one; a file carrying types
    /// (retagged since the album was first seen, or not the first file scanned) sets them.
    private func store(releaseTypes: String, albumID: Int64, on db: any SQLDatabase) async throws {
        guard !releaseTypes.isEmpty, albumReleaseTypes[albumID] != releaseTypes else { return }
        try await db.raw(
            "UPDATE albums SET release_types = \(bind: releaseTypes) WHERE id = \(bind: albumID) AND release_types <> \(bind: releaseTypes)"
        ).run()
        albumReleaseTypes[albumID] = releaseTypes
    }

    /// Multi-disc albums often live in "CD1"/"Disc 2" subfolders of the album folder.
    /// (Asked of every file a scan adds, so no Foundation: its `replacingOccurrences` cost more
    /// than the rest together.)
    static func albumDirectory(_ directory: String) -> String {
        let parts = directory.split(separator: "/")
        guard let last = parts.last else { return directory }
        let lowered = last.lowercased().filter { $0 != " " }
        for prefix in ["cd", "disc", "disk"] where lowered.hasPrefix(prefix) {
            let number = lowered.dropFirst(prefix.count)
            if !number.isEmpty, number.allSatisfy(\.isNumber) {
                return parts.dropLast().joined(separator: "/")
            }
        }
        return directory
    }

    /// Whether the album still has no cover; each of its files is a chance to find one
    /// (the picture may be embedded in track 7 only).
    func wantsArtwork(albumID: Int64) -> Bool {
        albumsNeedingArt.contains(albumID)
    }

    /// The album's cover, written by ``flush(on:)`` (it stays the first one found).
    func setArtwork(albumID: Int64, image: ArtworkStore.Stored) {
        pendingCovers[albumID] = image
        albumsNeedingArt.remove(albumID)
    }

    private func flushCovers(on db: any SQLDatabase) async throws {
        guard !pendingCovers.isEmpty else { return }
        let ids = try await ArtworkStore.record(Array(pendingCovers.values), on: db)
        let albums = pendingCovers.compactMap { album, image in ids[image.hash].map { (album, $0) } }.sorted { $0.0 < $1.0 }
        for chunk in albums.chunked(300) {
            let cases = SQLList(chunk.map { SQLQueryString("WHEN \(bind: $0.0) THEN \(bind: $0.1)") }, separator: SQLRaw(" "))
            try await db.raw(
                """
                UPDATE albums SET artwork_id = CASE id \(cases) END
                WHERE id IN (\(SQLList(chunk.map { SQLBind($0.0) }))) AND artwork_id IS NULL
                """
            ).run()
        }
        pendingCovers.removeAll()
    }

    // MARK: tracks

    static func trackKey(tags: AudioTags, title: String, albumID: Int64) -> String {
        tags.recordingMBID.map { "mbid:\($0)|\(albumID)" }
            ?? "key:\(albumID)|\(tags.discNumber ?? 1)|\(tags.trackNumber ?? 0)|\(NameKey.make(title))"
    }

    static func title(tags: AudioTags, fileName: String) -> String {
        String((tags.title ?? (fileName as NSString).deletingPathExtension).prefix(500))
    }

    /// Looks up the ids of existing tracks for a batch's match keys in one statement per 500 keys.
    func prefetchTracks(keys: Set<String>, on db: any SQLDatabase) async throws {
        let missing = keys.filter { knownTracks[$0] == nil && !absentTracks.contains($0) }
        for chunk in Array(missing).chunked(500) {
            for row in try await db.raw(
                """
                SELECT id, match_key FROM tracks WHERE library_id = \(bind: libraryID) AND match_key IN (\(SQLList(chunk.map { SQLBind($0) })))
                """
            ).all() {
                knownTracks[try row.decode(column: "match_key", as: String.self)] = try row.decode(column: "id", as: Int64.self)
            }
        }
        for key in missing where knownTracks[key] == nil { absentTracks.insert(key) }
    }

    /// The track a file carries: updated in place when it exists, else queued for the batch insert.
    func trackRef(
        tags: AudioTags, fileName: String, albumID: Int64, artistIDs: [Int64], previousTrackID: Int64?,
        on db: any SQLDatabase
    ) async throws -> TrackRef {
        let title = Self.title(tags: tags, fileName: fileName)
        let matchKey = Self.trackKey(tags: tags, title: title, albumID: albumID)
        var seenArtists = Set<Int64>()
        let artists = artistIDs.filter { seenArtists.insert($0).inserted }
        var genreIDs: [Int64] = []
        for genre in tags.genres {
            let genreID = try await self.genreID(genre, on: db)
            if !genreIDs.contains(genreID) { genreIDs.append(genreID) }
        }
        if pendingTrackKeys.contains(matchKey) { return .pending(matchKey) }  // a second file of a new track
        if knownTracks[matchKey] == nil { try await prefetchTracks(keys: [matchKey], on: db) }
        var id = knownTracks[matchKey]
        if id == nil, let previous = previousTrackID {
            // Retagged file: keep its track (and what users attached to it) if no other file shares it.
            let others =
                try await db.raw("SELECT COUNT(*) AS n FROM files WHERE track_id = \(bind: previous)").first()?
                .decode(column: "n", as: Int.self) ?? 0
            if others <= 1 { id = previous }
        }
        let values = Self.trackValues(tags: tags, title: title, albumID: albumID, matchKey: matchKey)
        guard let existing = id else {
            pendingTracks.append((matchKey, [.integer(libraryID)] + values, artists, genreIDs))
            pendingTrackKeys.insert(matchKey)
            return .pending(matchKey)
        }
        let now = Clock.nowMillis()
        try await db.raw(
            """
            UPDATE tracks SET album_id = \(bind: albumID), match_key = \(bind: matchKey), title = \(bind: title),
                sort_title = \(bind: tags.titleSort.map(NameKey.make) ?? NameKey.sort(title)),
                artist_display = \(bind: Self.display(tags)), disc_number = \(bind: tags.discNumber),
                track_number = \(bind: tags.trackNumber), duration_ms = \(bind: tags.durationMs), year = \(bind: tags.year),
                genre = \(bind: tags.genres.first), mbid = \(bind: tags.recordingMBID), bpm = \(bind: tags.bpm),
                rg_track_gain = \(bind: tags.replayGainTrackGain), rg_track_peak = \(bind: tags.replayGainTrackPeak),
                rg_album_gain = \(bind: tags.replayGainAlbumGain), rg_album_peak = \(bind: tags.replayGainAlbumPeak),
                lyrics = \(bind: tags.lyrics), updated_at = \(bind: now)
            WHERE id = \(bind: existing)
            """
        ).run()
        knownTracks[matchKey] = existing
        try await db.raw("DELETE FROM track_artists WHERE track_id = \(bind: existing)").run()
        try await db.raw("DELETE FROM track_genres WHERE track_id = \(bind: existing)").run()
        pendingArtists[existing] = artists
        pendingGenres[existing] = genreIDs
        return .id(existing)
    }

    /// The id behind a reference, writing the batch's new tracks first if needed.
    func resolve(_ ref: TrackRef, on db: any SQLDatabase) async throws -> Int64 {
        switch ref {
        case .id(let id): return id
        case .pending(let key):
            if knownTracks[key] == nil { try await insertPendingTracks(on: db) }
            guard let id = knownTracks[key] else { throw LibraryScanner.Failure("could not store track \(key)") }
            return id
        }
    }

    static func display(_ tags: AudioTags) -> String {
        String((tags.artistDisplay ?? tags.artists.first ?? "Unknown Artist").prefix(1000))
    }

    /// Column values after `library_id`, in the order of ``insertPendingTracks(on:)``.
    static func trackValues(tags: AudioTags, title: String, albumID: Int64, matchKey: String) -> [SQLRowValue] {
        let now = SQLRowValue(Clock.nowMillis())
        return [
            .integer(albumID), .text(matchKey), .text(title), .text(tags.titleSort.map(NameKey.make) ?? NameKey.sort(title)),
            .text(display(tags)), .init(tags.discNumber), .init(tags.trackNumber), .init(tags.durationMs), .init(tags.year),
            .init(tags.genres.first), .init(tags.recordingMBID), .init(tags.replayGainTrackGain), .init(tags.replayGainTrackPeak),
            .init(tags.replayGainAlbumGain), .init(tags.replayGainAlbumPeak), .init(tags.lyrics), .init(tags.bpm), now, now,
        ]
    }

    /// Inserts the queued tracks with multi-row INSERT … RETURNING and records their ids by match key.
    func insertPendingTracks(on db: any SQLDatabase) async throws {
        guard !pendingTracks.isEmpty else { return }
        let width = pendingTracks[0].values.count
        for chunk in pendingTracks.chunked(max(1, 900 / width)) {
            let rows = SQLValueRows(rows: chunk.map(\.values)[...])
            for row in try await db.raw(
                """
                INSERT INTO tracks (library_id, album_id, match_key, title, sort_title, artist_display, disc_number, track_number,
                    duration_ms, year, genre, mbid, rg_track_gain, rg_track_peak, rg_album_gain, rg_album_peak, lyrics,
                    bpm, created_at, updated_at)
                VALUES \(rows) RETURNING id, match_key
                """
            ).all() {
                knownTracks[try row.decode(column: "match_key", as: String.self)] = try row.decode(column: "id", as: Int64.self)
            }
        }
        for pending in pendingTracks {
            guard let id = knownTracks[pending.key] else { continue }
            pendingArtists[id] = pending.artists
            pendingGenres[id] = pending.genres
        }
        pendingTracks.removeAll()
        pendingTrackKeys.removeAll()
    }

    func genreID(_ name: String, on db: any SQLDatabase) async throws -> Int64 {
        let key = NameKey.make(name)
        if let id = genres[key] { return id }
        var id = try await db.raw("SELECT id FROM genres WHERE name_key = \(bind: key)").first()?.decode(column: "id", as: Int64.self)
        if id == nil {
            id = try await db.raw(
                """
                INSERT INTO genres (name, name_key) VALUES (\(bind: name), \(bind: key)) ON CONFLICT DO NOTHING RETURNING id
                """
            ).first()?.decode(column: "id", as: Int64.self)
            if id == nil {
                id = try await db.raw("SELECT id FROM genres WHERE name_key = \(bind: key)").first()?.decode(column: "id", as: Int64.self)
            }
        }
        guard let id else { throw LibraryScanner.Failure("could not store genre \(name)") }
        genres[key] = id
        return id
    }

    /// Queues a new file row (its values after `track_id`); written by ``flush(on:)``.
    func insertFileLater(track: TrackRef?, _ values: [SQLRowValue]) {
        pendingFiles.append((track, values))
    }

    /// Writes the queued link and file rows. Call before the batch's transaction commits.
    func flush(on db: any SQLDatabase) async throws {
        try await insertPendingTracks(on: db)
        try await flushCovers(on: db)
        var fileRows: [[SQLRowValue]] = []
        for file in pendingFiles {
            let trackID: Int64? = try await file.track.asyncMap { try await resolve($0, on: db) }
            fileRows.append(Array(file.values.prefix(2)) + [SQLRowValue(trackID)] + Array(file.values.dropFirst(2)))
        }
        let artistRows = pendingArtists.sorted { $0.key < $1.key }.flatMap { track, artists in
            artists.enumerated().map { [.integer(track), .integer($1), .integer(Int64($0))] as [SQLRowValue] }
        }
        let genreRows = pendingGenres.sorted { $0.key < $1.key }.flatMap { track, genres in
            genres.map { [.integer(track), .integer($0)] as [SQLRowValue] }
        }
        try await Self.insert(into: "track_artists (track_id, artist_id, position)", rows: artistRows, on: db)
        try await Self.insert(into: "track_genres (track_id, genre_id)", rows: genreRows, on: db)
        try await Self.insert(
            into: """
                files (library_id, folder_id, track_id, path, size, mtime, format, bitrate, sample_rate, channels,
                       duration_ms, content_hash, status, error, created_at, updated_at)
                """, rows: fileRows, on: db)
        pendingArtists.removeAll()
        pendingGenres.removeAll()
        pendingFiles.removeAll()
        absentTracks.removeAll()  // the next batch runs in another transaction: look again
    }

    /// Announces the albums made since the last call (`album.added`, with who may see their
    /// library). Call it as the transaction's last write, after `CatalogCache.bump`: the event
    /// lock is then taken last, in the order every other writer takes the two.
    func announceNewAlbums(on db: any SQLDatabase) async throws {
        defer { newAlbums.removeAll() }
        guard !newAlbums.isEmpty,
            let library = try await db.raw("SELECT visibility, owner_id FROM libraries WHERE id = \(bind: libraryID)").first()
        else { return }
        let visibility = try library.decode(column: "visibility", as: String.self)
        let owner = try library.decode(column: "owner_id", as: Int64?.self)
        for var album in newAlbums {
            album.libraryVisibility = visibility
            album.libraryOwnerId = owner.map(String.init)
            try await EventStore.append(LibraryEvents.albumAdded, payload: album, actorID: nil, subjectID: album.albumId, on: db)
        }
    }

    /// Multi-row INSERT in chunks that stay well under both databases' bind-parameter limits.
    static func insert(into target: String, rows: [[SQLRowValue]], on db: any SQLDatabase) async throws {
        try await db.insertRows(into: target, values: rows, maxBinds: 900)
    }

    /// Artist ids for a track's credits, paired with their MusicBrainz ids when the counts agree.
    func artistIDs(for tags: AudioTags, on db: any SQLDatabase) async throws -> [Int64] {
        let names = tags.artists.isEmpty ? ["Unknown Artist"] : Array(tags.artists.prefix(20))
        var ids: [Int64] = []
        for (index, name) in names.enumerated() {
            let mbid = tags.artistMBIDs.count == names.count ? tags.artistMBIDs[index] : nil
            let sort = names.count == 1 ? tags.artistSort : nil
            ids.append(try await artistID(name: name, mbid: mbid, sortName: sort, on: db))
        }
        return ids
    }

    func albumArtistID(for tags: AudioTags, on db: any SQLDatabase) async throws -> Int64 {
        if let name = tags.albumArtists.first {
            let mbid = tags.albumArtistMBIDs.count == tags.albumArtists.count ? tags.albumArtistMBIDs.first : nil
            return try await artistID(name: name, mbid: mbid, sortName: tags.albumArtistSort, on: db)
        }
        if tags.compilation { return try await artistID(name: "Various Artists", mbid: nil, sortName: nil, on: db) }
        let name = tags.artists.first ?? "Unknown Artist"
        let mbid = tags.artistMBIDs.count == tags.artists.count ? tags.artistMBIDs.first : nil
        return try await artistID(name: name, mbid: mbid, sortName: tags.artistSort, on: db)
    }

    /// Removes tracks left without files, then albums and artists left without tracks.
    static func pruneOrphans(libraryID: Int64, on db: any SQLDatabase) async throws {
        try await db.raw(
            """
            DELETE FROM tracks WHERE library_id = \(bind: libraryID)
              AND NOT EXISTS (SELECT 1 FROM files f WHERE f.track_id = tracks.id)
            """
        ).run()
        try await db.raw("DELETE FROM albums WHERE NOT EXISTS (SELECT 1 FROM tracks t WHERE t.album_id = albums.id)").run()
        try await db.raw(
            """
            DELETE FROM artists WHERE NOT EXISTS (SELECT 1 FROM track_artists ta WHERE ta.artist_id = artists.id)
              AND NOT EXISTS (SELECT 1 FROM albums a WHERE a.album_artist_id = artists.id)
            """
        ).run()
    }
}

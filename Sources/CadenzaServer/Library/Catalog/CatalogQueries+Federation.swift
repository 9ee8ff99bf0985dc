import Foundation
import SQLKit

/// One imported file of a library with what describes it, for other instances (federation
/// reads the catalog only through these).
struct LibraryAudio: Sendable, Equatable {
    var fileID: Int64
    var libraryID: Int64
    var size: Int64
    var format: String?
    var bitrate: Int?
    var durationMs: Int
    var createdAt: Int64
    var updatedAt: Int64
    var trackID: Int64
    var title: String
    var trackNumber: Int?
    var discNumber: Int?
    var trackMBID: String?
    var artistID: Int64
    var artist: String
    var artistMBID: String?
    var albumID: Int64
    var album: String
    var albumMBID: String?
    var albumArtistID: Int64
    var albumArtist: String
    var year: Int?

    init(row: any SQLRow) throws {
        fileID = try row.decode(column: "file_id", as: Int64.self)
        libraryID = try row.decode(column: "library_id", as: Int64.self)
        size = try row.decode(column: "size", as: Int64.self)
        format = try row.decode(column: "format", as: String?.self)
        bitrate = try row.decode(column: "bitrate", as: Int?.self)
        durationMs = try row.decode(column: "duration_ms", as: Int.self)
        createdAt = try row.decode(column: "created_at", as: Int64.self)
        updatedAt = try row.decode(column: "updated_at", as: Int64.self)
        trackID = try row.decode(column: "track_id", as: Int64.self)
        title = try row.decode(column: "title", as: String.self)
        trackNumber = try row.decode(column: "track_number", as: Int?.self)
        discNumber = try row.decode(column: "disc_number", as: Int?.self)
        trackMBID = try row.decode(column: "track_mbid", as: String?.self)
        artistID = try row.decode(column: "artist_id", as: Int64.self)
        artist = try row.decode(column: "artist_name", as: String.self)
        artistMBID = try row.decode(column: "artist_mbid", as: String?.self)
        albumID = try row.decode(column: "album_id", as: Int64.self)
        album = try row.decode(column: "album_title", as: String.self)
        albumMBID = try row.decode(column: "album_mbid", as: String?.self)
        albumArtistID = try row.decode(column: "album_artist_id", as: Int64.self)
        albumArtist = try row.decode(column: "album_artist_name", as: String.self)
        year = try row.decode(column: "year", as: Int?.self)
    }
}

extension CatalogQueries {
    private static let libraryAudioSelect: SQLQueryString = """
        SELECT f.id AS file_id, f.library_id, f.size, f.format, f.bitrate, COALESCE(f.duration_ms, t.duration_ms) AS duration_ms,
            f.created_at, f.updated_at, t.id AS track_id, t.title, t.track_number, t.disc_number, t.mbid AS track_mbid,
            ar.id AS artist_id, ar.name AS artist_name, ar.mbid AS artist_mbid,
            al.id AS album_id, al.title AS album_title, al.mbid AS album_mbid, al.year,
            aa.id AS album_artist_id, aa.name AS album_artist_name
        FROM files f JOIN tracks t ON t.id = f.track_id JOIN albums al ON al.id = t.album_id
        JOIN artists aa ON aa.id = al.album_artist_id
        JOIN track_artists ta ON ta.track_id = t.id AND ta.position = 0 JOIN artists ar ON ar.id = ta.artist_id
        """

    /// A page of a library's imported files, oldest first (pages stay stable as files arrive).
    static func libraryAudio(libraryID: Int64, offset: Int, limit: Int, on db: any SQLDatabase) async throws -> [LibraryAudio] {
        try await db.raw(
            "\(libraryAudioSelect) WHERE f.library_id = \(bind: libraryID) AND f.status = 'imported' ORDER BY f.id LIMIT \(bind: limit) OFFSET \(bind: offset)"
        ).all().map(LibraryAudio.init(row:))
    }

    static func libraryAudioCount(libraryID: Int64, on db: any SQLDatabase) async throws -> Int {
        try await db.raw("SELECT COUNT(*) AS n FROM files WHERE library_id = \(bind: libraryID) AND status = 'imported'").first()?
            .decode(column: "n", as: Int.self) ?? 0
    }

    /// Several files at once (in id order); files not imported are left out.
    static func libraryAudio(fileIDs: [Int64], on db: any SQLDatabase) async throws -> [LibraryAudio] {
        guard !fileIDs.isEmpty else { return [] }
        return try await db.raw(
            "\(libraryAudioSelect) WHERE f.id IN (\(SQLList(fileIDs.map { SQLBind($0) }))) AND f.status = 'imported' ORDER BY f.id"
        ).all().map(LibraryAudio.init(row:))
    }

    static func libraryAudio(fileID: Int64, on db: any SQLDatabase) async throws -> LibraryAudio? {
        try await db.raw("\(libraryAudioSelect) WHERE f.id = \(bind: fileID) AND f.status = 'imported'").first().map(LibraryAudio.init(row:))
    }
}

extension CatalogQueries {
    /// Each imported file of a library with when it last changed, for mirrors kept elsewhere.
    static func libraryFileVersions(libraryID: Int64, on db: any SQLDatabase) async throws -> [Int64: Int64] {
        var result: [Int64: Int64] = [:]
        for row in try await db.raw("SELECT id, updated_at FROM files WHERE library_id = \(bind: libraryID) AND status = 'imported'").all() {
            result[try row.decode(column: "id", as: Int64.self)] = try row.decode(column: "updated_at", as: Int64.self)
        }
        return result
    }
}

import SQLKit

extension CatalogQueries {
    /// A track as a listen matcher sees it: the artist's name key, the title and album title.
    struct MatchCandidate: Sendable {
        var id: Int64
        var artistKey: String
        var title: String
        var album: String
    }

    /// Track ids by recording MBID (lower-cased), for the given MBIDs.
    static func trackIDs(byMBID mbids: some Collection<String>, on db: any SQLDatabase) async throws -> [String: Int64] {
        var result: [String: Int64] = [:]
        for chunk in Array(mbids).chunked(500) {
            for row in try await db.raw("SELECT id, mbid FROM tracks WHERE mbid IN (\(SQLList(chunk.map { SQLBind($0) })))").all() {
                if let mbid = try row.decode(column: "mbid", as: String?.self) {
                    result[mbid.lowercased()] = try row.decode(column: "id", as: Int64.self)
                }
            }
        }
        return result
    }

    /// Every track credited to an artist whose name key is one of `artistKeys`, oldest first.
    static func matchCandidates(artistKeys: some Collection<String>, on db: any SQLDatabase) async throws -> [MatchCandidate] {
        var result: [MatchCandidate] = []
        for chunk in Array(artistKeys).chunked(300) {
            let rows = try await db.raw(
                """
                SELECT t.id, t.title, al.title AS album, ar.name_key FROM artists ar
                JOIN track_artists ta ON ta.artist_id = ar.id
                JOIN tracks t ON t.id = ta.track_id
                JOIN albums al ON al.id = t.album_id
                WHERE ar.name_key IN (\(SQLList(chunk.map { SQLBind($0) })))
                ORDER BY t.id
                """
            ).all()
            for row in rows {
                result.append(
                    MatchCandidate(
                        id: try row.decode(column: "id", as: Int64.self),
                        artistKey: try row.decode(column: "name_key", as: String.self),
                        title: try row.decode(column: "title", as: String.self),
                        album: try row.decode(column: "album", as: String.self)))
            }
        }
        return result
    }
}

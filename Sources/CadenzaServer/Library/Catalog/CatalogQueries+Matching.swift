import SQLKit

extension CatalogQueries {
    /// A track as a listen matcher sees it: the artist's name key, the title and album title.
    struct MatchCandidate: Sendable {
        var id: Int64
        var artistKey: String
        var title: String
        var album: String
    }

    /// Which tracks a listen may be matched to. The recording dictionary is shared by every
    /// user's listens, so it only ever names tracks in libraries everyone may see; a listener's
    /// own private libraries are matched separately, for that listener's play counts only.
    enum MatchScope: Sendable {
        case shared
        case libraries([Int64])

        var condition: SQLQueryString {
            switch self {
            case .shared: return "l.visibility <> 'private'"
            case .libraries(let ids):
                return ids.isEmpty ? "1 = 0" : "t.library_id IN (\(SQLList(ids.map { SQLBind($0) })))"
            }
        }
    }

    /// Track ids by recording MBID (lower-cased), for the given MBIDs, in shared libraries.
    static func trackIDs(
        byMBID mbids: some Collection<String>, in scope: MatchScope = .shared, on db: any SQLDatabase
    ) async throws -> [String: Int64] {
        var result: [String: Int64] = [:]
        for chunk in Array(mbids).chunked(500) {
            let rows = try await db.raw(
                """
                SELECT t.id, t.mbid FROM tracks t JOIN libraries l ON l.id = t.library_id
                WHERE t.mbid IN (\(SQLList(chunk.map { SQLBind($0) }))) AND \(scope.condition) ORDER BY t.id
                """
            ).all()
            for row in rows.reversed() {
                if let mbid = try row.decode(column: "mbid", as: String?.self) {
                    result[mbid.lowercased()] = try row.decode(column: "id", as: Int64.self)
                }
            }
        }
        return result
    }

    /// Which of `ids` are tracks in libraries everyone may see.
    static func sharedTrackIDs(_ ids: some Collection<Int64>, on db: any SQLDatabase) async throws -> Set<Int64> {
        var result: Set<Int64> = []
        for chunk in Array(Set(ids)).chunked(500) {
            let rows = try await db.raw(
                """
                SELECT t.id FROM tracks t JOIN libraries l ON l.id = t.library_id
                WHERE t.id IN (\(SQLList(chunk.map { SQLBind($0) }))) AND l.visibility <> 'private'
                """
            ).all()
            for row in rows { result.insert(try row.decode(column: "id", as: Int64.self)) }
        }
        return result
    }

    /// Every track in a shared library credited to an artist whose name key is one of `artistKeys`, oldest first.
    static func matchCandidates(
        artistKeys: some Collection<String>, in scope: MatchScope = .shared, on db: any SQLDatabase
    ) async throws -> [MatchCandidate] {
        var result: [MatchCandidate] = []
        for chunk in Array(artistKeys).chunked(300) {
            let rows = try await db.raw(
                """
                SELECT t.id, t.title, al.title AS album, ar.name_key FROM artists ar
                JOIN track_artists ta ON ta.artist_id = ar.id
                JOIN tracks t ON t.id = ta.track_id
                JOIN albums al ON al.id = t.album_id
                JOIN libraries l ON l.id = t.library_id
                WHERE ar.name_key IN (\(SQLList(chunk.map { SQLBind($0) }))) AND \(scope.condition)
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

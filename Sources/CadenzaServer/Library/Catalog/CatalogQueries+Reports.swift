import SQLKit

extension CatalogQueries {
    /// What a royalty report names besides artist and title, for tracks that still exist.
    struct ReportFacts: Sendable {
        var album: String
        var year: Int?
        /// The MusicBrainz recording id, where the file's tags have one.
        var recording: String?
    }

    /// Album, year and recording of each of `ids` (a station's as-run log names tracks of the
    /// libraries it airs; tracks deleted since are absent).
    static func reportFacts(_ ids: [Int64], on db: any SQLDatabase) async throws -> [Int64: ReportFacts] {
        var result: [Int64: ReportFacts] = [:]
        for chunk in Array(Set(ids)).chunked(500) {
            let rows = try await db.raw(
                """
                SELECT t.id, a.title AS album, COALESCE(t.year, a.original_year, a.year) AS year, t.mbid
                FROM tracks t JOIN albums a ON a.id = t.album_id WHERE t.id IN (\(SQLList(chunk.map { SQLBind($0) })))
                """
            ).all()
            for row in rows {
                result[try row.decode(column: "id", as: Int64.self)] = ReportFacts(
                    album: try row.decode(column: "album", as: String.self), year: try row.decode(column: "year", as: Int?.self),
                    recording: try row.decode(column: "mbid", as: String?.self))
            }
        }
        return result
    }
}

import CadenzaTags
import SQLKit

/// Finds the local track a listen was of: the recording MBID first, then the normalised artist
/// and title, preferring the track whose album matches the listen's release.
enum TrackMatcher {
    static func match(_ wanted: [(listen: IncomingListen, keys: ListenDictionary.Keys)], on db: any SQLDatabase) async throws -> [Int64?] {
        var result = wanted.map(\.listen.trackID)
        guard result.contains(where: { $0 == nil }) else { return result }

        let mbids = Set(wanted.compactMap(\.listen.recordingMBID))
        var byMBID: [String: Int64] = [:]
        for chunk in Array(mbids).chunked(500) {
            for row in try await db.raw("SELECT id, mbid FROM tracks WHERE mbid IN (\(SQLList(chunk.map { SQLBind($0) })))").all() {
                if let mbid = try row.decode(column: "mbid", as: String?.self) {
                    byMBID[mbid.lowercased()] = try row.decode(column: "id", as: Int64.self)
                }
            }
        }

        struct Candidate { var id: Int64; var albumKey: String }
        var byName: [String: [Candidate]] = [:]   // "artist\u{1}title" → tracks
        let artistKeys = Set(wanted.map(\.keys.artist))
        for chunk in Array(artistKeys).chunked(300) {
            let rows = try await db.raw("""
                SELECT t.id, t.title, al.title AS album, ar.name_key FROM artists ar
                JOIN track_artists ta ON ta.artist_id = ar.id
                JOIN tracks t ON t.id = ta.track_id
                JOIN albums al ON al.id = t.album_id
                WHERE ar.name_key IN (\(SQLList(chunk.map { SQLBind($0) })))
                ORDER BY t.id
                """).all()
            for row in rows {
                let key = try row.decode(column: "name_key", as: String.self) + "\u{1}"
                    + NameKey.make(try row.decode(column: "title", as: String.self))
                byName[key, default: []].append(Candidate(id: try row.decode(column: "id", as: Int64.self),
                                                          albumKey: NameKey.make(try row.decode(column: "album", as: String.self))))
            }
        }

        for (index, item) in wanted.enumerated() where result[index] == nil {
            if let mbid = item.listen.recordingMBID, let id = byMBID[mbid] { result[index] = id; continue }
            guard let candidates = byName[item.keys.artist + "\u{1}" + item.keys.track] else { continue }
            result[index] = candidates.first(where: { $0.albumKey == item.keys.release })?.id ?? candidates.first?.id
        }
        return result
    }
}

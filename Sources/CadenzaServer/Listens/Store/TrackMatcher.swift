import CadenzaTags
import SQLKit

/// Finds the local track a listen was of: the recording MBID first, then the normalised artist
/// and title, preferring the track whose album matches the listen's release. The catalog is read
/// through the library's query functions.
enum TrackMatcher {
    /// Tracks in `scope`: by default libraries everyone may see (the dictionary is shared by every user).
    static func match(
        _ wanted: [(listen: IncomingListen, keys: ListenDictionary.Keys)], in scope: CatalogQueries.MatchScope = .shared,
        on db: any SQLDatabase
    ) async throws -> [Int64?] {
        var result: [Int64?] = wanted.map { _ in nil }
        guard !wanted.isEmpty else { return result }

        let byMBID = try await CatalogQueries.trackIDs(byMBID: Set(wanted.compactMap(\.listen.recordingMBID)), in: scope, on: db)

        struct Candidate { var id: Int64; var albumKey: String }
        var byName: [String: [Candidate]] = [:]  // "artist\u{1}title" → tracks
        for track in try await CatalogQueries.matchCandidates(artistKeys: Set(wanted.map(\.keys.artist)), in: scope, on: db) {
            byName[track.artistKey + "\u{1}" + NameKey.make(track.title), default: []]
                .append(Candidate(id: track.id, albumKey: NameKey.make(track.album)))
        }

        for (index, item) in wanted.enumerated() where result[index] == nil {
            if let mbid = item.listen.recordingMBID, let id = byMBID[mbid] { result[index] = id; continue }
            guard let candidates = byName[item.keys.artist + "\u{1}" + item.keys.track] else { continue }
            result[index] = candidates.first(where: { $0.albumKey == item.keys.release })?.id ?? candidates.first?.id
        }
        return result
    }
}

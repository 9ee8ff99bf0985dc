import SQLKit

/// Names and ids of ranked entities, in ListenBrainz's stats shapes.
enum StatsEntities {
    /// The payload key, the total key and the name of each kind in the `/1/stats` URL.
    static func keys(_ kind: StatsRollup.Kind) -> (list: String, total: String) {
        switch kind {
        case .artist: return ("artists", "total_artist_count")
        case .release: return ("releases", "total_release_count")
        case .releaseGroup: return ("release_groups", "total_release_group_count")
        case .recording: return ("recordings", "total_recording_count")
        }
    }

    static func kind(path: String) -> StatsRollup.Kind? {
        switch path {
        case "artists": return .artist
        case "releases": return .release
        case "release-groups": return .releaseGroup
        case "recordings": return .recording
        default: return nil
        }
    }

    /// One JSON object per ranked entity, in rank order.
    static func describe(_ ranked: [StatsQueries.Ranked], kind: StatsRollup.Kind, on db: any SQLDatabase) async throws -> [JSONValue] {
        guard !ranked.isEmpty else { return [] }
        let ids = SQLList(ranked.map { SQLBind($0.entityID) })
        var info: [Int64: [String: JSONValue]] = [:]
        func text(_ row: any SQLRow, _ column: String) throws -> JSONValue? {
            try row.decode(column: column, as: String?.self).map(JSONValue.string)
        }
        switch kind {
        case .artist:
            for row in try await db.raw("SELECT id, name, mbid FROM listen_artists WHERE id IN (\(ids))").all() {
                var entry: [String: JSONValue] = ["artist_name": try text(row, "name") ?? .null]
                if let mbid = try text(row, "mbid") { entry["artist_mbid"] = mbid; entry["artist_mbids"] = .array([mbid]) }
                info[try row.decode(column: "id", as: Int64.self)] = entry
            }
        case .release, .releaseGroup:
            for row in try await db.raw(
                """
                SELECT rel.id, rel.name, rel.mbid, rel.group_mbid, a.name AS artist_name FROM listen_releases rel
                JOIN listen_artists a ON a.id = rel.artist_id WHERE rel.id IN (\(ids))
                """
            ).all() {
                var entry: [String: JSONValue] = ["artist_name": try text(row, "artist_name") ?? .null]
                if kind == .release {
                    entry["release_name"] = try text(row, "name") ?? .null
                    if let mbid = try text(row, "mbid") { entry["release_mbid"] = mbid }
                } else {
                    entry["release_group_name"] = try text(row, "name") ?? .null
                    if let mbid = try text(row, "group_mbid") { entry["release_group_mbid"] = mbid }
                }
                info[try row.decode(column: "id", as: Int64.self)] = entry
            }
        case .recording:
            for row in try await db.raw(
                """
                SELECT id, msid, track_name, artist_name, release_name, recording_mbid FROM listen_recordings WHERE id IN (\(ids))
                """
            ).all() {
                var entry: [String: JSONValue] = [
                    "track_name": try text(row, "track_name") ?? .null,
                    "artist_name": try text(row, "artist_name") ?? .null,
                    "recording_msid": try text(row, "msid") ?? .null,
                ]
                if let release = try text(row, "release_name") { entry["release_name"] = release }
                if let mbid = try text(row, "recording_mbid") { entry["recording_mbid"] = mbid }
                info[try row.decode(column: "id", as: Int64.self)] = entry
            }
        }
        return ranked.map { item in
            var entry = info[item.entityID] ?? [:]
            entry["listen_count"] = .number(Double(item.count))
            return .object(entry)
        }
    }
}

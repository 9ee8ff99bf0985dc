import CadenzaTags
import Vapor
import Foundation
import SQLKit

/// What a listen was of, as stored once and shared by every listen of it.
struct RecordingRef: Sendable, Hashable {
    var id: Int64
    var msid: String
    var artistID: Int64
    var releaseID: Int64?
    var groupID: Int64?
    var trackID: Int64?
}

extension RecordingRef {
    /// Columns id, msid, artist_id, release_id, group_id and, if selected, track_id.
    init(row: any SQLRow) throws {
        id = try row.decode(column: "id", as: Int64.self)
        msid = try row.decode(column: "msid", as: String.self)
        artistID = try row.decode(column: "artist_id", as: Int64.self)
        releaseID = try row.decode(column: "release_id", as: Int64?.self)
        groupID = try row.decode(column: "group_id", as: Int64?.self)
        trackID = row.contains(column: "track_id") ? try row.decode(column: "track_id", as: Int64?.self) : nil
    }
}

/// The dictionary of played artists, releases and recordings. A recording's MSID is derived
/// from its normalised artist, title and release, so the same song always gets the same id
/// (on this instance and on any other Cadenza).
enum ListenDictionary {
    struct Keys: Hashable {
        var artist: String
        var track: String
        var release: String?
    }

    static func keys(_ listen: IncomingListen) -> Keys {
        Keys(
            artist: NameKey.make(listen.artistName), track: NameKey.make(listen.trackName),
            release: listen.releaseName.map(NameKey.make))
    }

    static func msid(_ keys: Keys) -> String {
        let digest = SHA256.hash(data: Data("\(keys.artist)\u{1}\(keys.track)\u{1}\(keys.release ?? "")".utf8))
        var bytes = Array(digest.prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x50  // shaped like a name-based UUID
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(36)
        for (index, byte) in bytes.enumerated() {
            if index == 4 || index == 6 || index == 8 || index == 10 { text.append(UInt8(ascii: "-")) }
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// The recording of every listen, creating what is new (and matching new recordings to
    /// local tracks). Returns one ref per listen, in order.
    ///
    /// New rows are inserted with `ON CONFLICT … DO UPDATE … RETURNING`: a no-op update that makes
    /// the statement return the row whether this transaction or a concurrent one created it, so no
    /// second SELECT is needed.
    static func resolve(_ listens: [IncomingListen], on db: any SQLDatabase) async throws -> [RecordingRef] {
        // Names and songs repeat within a batch; normalising and hashing each once is worth it.
        var nameKeys: [String: String] = [:]
        func nameKey(_ name: String) -> String {
            if let known = nameKeys[name] { return known }
            let key = NameKey.make(name)
            nameKeys[name] = key
            return key
        }
        let keys = listens.map { Keys(artist: nameKey($0.artistName), track: nameKey($0.trackName), release: $0.releaseName.map(nameKey)) }
        var msidOf: [Keys: String] = [:]
        let msids = keys.map { key in
            if let known = msidOf[key] { return known }
            let id = msid(key)
            msidOf[key] = id
            return id
        }
        var known = try await fetch(msids: Array(Set(msids)), on: db)
        var missing: [String: Int] = [:]  // msid → first listen index
        for (index, id) in msids.enumerated() where known[id] == nil && missing[id] == nil { missing[id] = index }
        if !missing.isEmpty {
            let firsts = missing.values.sorted()
            let artists = try await artistIDs(firsts.map { (keys[$0].artist, listens[$0].artistName, listens[$0].artistMBIDs.first) }, on: db)
            let releases = try await releaseIDs(
                firsts.compactMap { index -> (Int64, String, String, String?, String?)? in
                    guard let key = keys[index].release, let name = listens[index].releaseName,
                        let artist = artists[keys[index].artist]
                    else { return nil }
                    return (artist, key, name, listens[index].releaseMBID, listens[index].releaseGroupMBID)
                }, on: db)
            // A track the listener named (a Subsonic scrobble) joins the shared dictionary only
            // when everyone may see it; the others are matched among shared tracks.
            let shareable = try await CatalogQueries.sharedTrackIDs(firsts.compactMap { listens[$0].trackID }, on: db)
            let unnamed = firsts.filter { index in listens[index].trackID.map { !shareable.contains($0) } ?? true }
            let found = try await TrackMatcher.match(unnamed.map { (listens[$0], keys[$0]) }, on: db)
            let matchOf = Dictionary(zip(unnamed, found), uniquingKeysWith: { first, _ in first })
            var rows: [[any SQLExpression]] = []
            // Inserted in msid order, so concurrent writers of the same new songs take locks in one order.
            for index in firsts.sorted(by: { msids[$0] < msids[$1] }) {
                let key = keys[index], listen = listens[index]
                guard let artist = artists[key.artist] else { continue }
                let release = key.release.flatMap { releases[ReleaseKey(artist: artist, name: $0)] }
                rows.append([
                    SQLBind(msids[index]), SQLBind(artist), SQLBind(release?.id), SQLBind(listen.trackName),
                    SQLBind(listen.artistName), SQLBind(listen.releaseName), SQLBind(listen.recordingMBID),
                    SQLBind(listen.trackID.flatMap { shareable.contains($0) ? $0 : nil } ?? matchOf[index] ?? nil),
                ])
            }
            let groups = Dictionary(releases.values.map { ($0.id, $0.group) }, uniquingKeysWith: { first, _ in first })
            for row in try await db.insertRows(
                into: "listen_recordings (msid, artist_id, release_id, track_name, artist_name, release_name, recording_mbid, track_id)",
                rows: rows, suffix: "ON CONFLICT (msid) DO UPDATE SET msid = excluded.msid RETURNING id, msid, artist_id, release_id, track_id")
            {
                let release = try row.decode(column: "release_id", as: Int64?.self)
                let ref = RecordingRef(
                    id: try row.decode(column: "id", as: Int64.self), msid: try row.decode(column: "msid", as: String.self),
                    artistID: try row.decode(column: "artist_id", as: Int64.self), releaseID: release,
                    groupID: release.map { groups[$0] ?? $0 }, trackID: try row.decode(column: "track_id", as: Int64?.self))
                known[ref.msid] = ref
            }
        }
        return try msids.map { id in
            guard let ref = known[id] else { throw ListenStoreFailure("recording \(id) was not stored") }
            return ref
        }
    }

    static func fetch(msids: [String], on db: any SQLDatabase) async throws -> [String: RecordingRef] {
        var result: [String: RecordingRef] = [:]
        for chunk in msids.chunked(500) {
            let rows = try await db.raw(
                """
                SELECT r.id, r.msid, r.artist_id, r.release_id, r.track_id, COALESCE(rel.group_id, rel.id) AS group_id
                FROM listen_recordings r LEFT JOIN listen_releases rel ON rel.id = r.release_id
                WHERE r.msid IN (\(SQLList(chunk.map { SQLBind($0) })))
                """
            ).all()
            for row in rows {
                let ref = try RecordingRef(row: row)
                result[ref.msid] = ref
            }
        }
        return result
    }

    /// Artist ids by name key, inserting the new ones.
    private static func artistIDs(_ wanted: [(key: String, name: String, mbid: String?)], on db: any SQLDatabase) async throws -> [String: Int64] {
        var unique: [String: (String, String?)] = [:]
        for item in wanted where unique[item.key] == nil { unique[item.key] = (item.name, item.mbid) }
        var ids: [String: Int64] = [:]
        for chunk in Array(unique.keys).chunked(500) {
            for row in try await db.raw("SELECT id, name_key FROM listen_artists WHERE name_key IN (\(SQLList(chunk.map { SQLBind($0) })))").all() {
                ids[try row.decode(column: "name_key", as: String.self)] = try row.decode(column: "id", as: Int64.self)
            }
        }
        let missing = unique.keys.filter { ids[$0] == nil }.sorted()
        for row in try await db.insertRows(
            into: "listen_artists (name_key, name, mbid)",
            rows: missing.map { [SQLBind($0), SQLBind(unique[$0]?.0 ?? $0), SQLBind(unique[$0]?.1)] },
            suffix: "ON CONFLICT (name_key) DO UPDATE SET name_key = excluded.name_key RETURNING id, name_key")
        {
            ids[try row.decode(column: "name_key", as: String.self)] = try row.decode(column: "id", as: Int64.self)
        }
        return ids
    }

    struct ReleaseKey: Hashable {
        var artist: Int64
        var name: String
    }

    /// Release ids (and release-group ids) by (artist, name key), inserting the new ones. A
    /// release group is the first release seen with that release-group MBID, or the release itself
    /// (`group_id` NULL).
    private static func releaseIDs(
        _ wanted: [(artist: Int64, key: String, name: String, mbid: String?, group: String?)],
        on db: any SQLDatabase
    ) async throws -> [ReleaseKey: (id: Int64, group: Int64)] {
        var unique: [ReleaseKey: (String, String?, String?)] = [:]
        for item in wanted where unique[ReleaseKey(artist: item.artist, name: item.key)] == nil {
            unique[ReleaseKey(artist: item.artist, name: item.key)] = (item.name, item.mbid, item.group)
        }
        guard !unique.isEmpty else { return [:] }
        var ids: [ReleaseKey: (id: Int64, group: Int64)] = [:]
        func take(_ rows: [any SQLRow]) throws {
            for row in rows {
                let key = ReleaseKey(
                    artist: try row.decode(column: "artist_id", as: Int64.self),
                    name: try row.decode(column: "name_key", as: String.self))
                guard unique[key] != nil else { continue }
                let id = try row.decode(column: "id", as: Int64.self)
                ids[key] = (id, try row.decode(column: "group_id", as: Int64?.self) ?? id)
            }
        }
        for chunk in Array(unique.keys).chunked(400) {
            try take(
                try await db.raw(
                    """
                    SELECT id, artist_id, name_key, group_id FROM listen_releases
                    WHERE artist_id IN (\(SQLList(Set(chunk.map(\.artist)).map { SQLBind($0) })))
                      AND name_key IN (\(SQLList(Set(chunk.map(\.name)).map { SQLBind($0) })))
                    """
                ).all())
        }
        let missing = unique.keys.filter { ids[$0] == nil }.sorted { ($0.artist, $0.name) < ($1.artist, $1.name) }
        try take(
            try await db.insertRows(
                into: "listen_releases (artist_id, name_key, name, mbid, group_mbid, group_id)",
                rows: missing.map { key in
                    let value = unique[key]
                    let group: any SQLExpression =
                        value?.2.map {
                            SQLQueryString("(SELECT MIN(o.id) FROM listen_releases o WHERE o.group_mbid = \(bind: $0))")
                        } ?? SQLLiteral.null
                    return [SQLBind(key.artist), SQLBind(key.name), SQLBind(value?.0 ?? key.name), SQLBind(value?.1), SQLBind(value?.2), group]
                },
                suffix: "ON CONFLICT (artist_id, name_key) DO UPDATE SET name_key = excluded.name_key RETURNING id, artist_id, name_key, group_id"))
        return ids
    }
}

struct ListenStoreFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

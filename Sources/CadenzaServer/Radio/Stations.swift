import CadenzaPlayout
import Foundation
import SQLKit

/// One radio station as stored.
struct StationRecord: Sendable, Equatable, Codable {
    enum Visibility: String, Sendable, CaseIterable, Codable {
        /// Anyone, signed in or not: the mount, the now-playing API and the station page.
        case `public`
        /// Anyone with the link; not listed to other users.
        case unlisted
        /// The owner, and administrators.
        case `private`

        /// Larger is heard by more people; going down takes the station's listeners off.
        var openness: Int {
            switch self {
            case .public: 2
            case .unlisted: 1
            case .private: 0
            }
        }
    }

    var id: Int64
    var slug: String
    var name: String
    var description: String
    var timeZone: String
    var visibility: Visibility
    var ownerID: Int64?
    var outputs: [StationOutput]
    /// How long one track fades into the next; 0 joins them end to end.
    var crossfadeMs: Int
    var crossfadeCurve: CrossfadeCurve
    /// Listeners each mount takes at once.
    var maxListeners: Int
    /// What a station takes before anyone sets it (the column's default too).
    static let defaultMaxListeners = 1_000
    /// What every output encodes at (the mounts, HLS and the relays).
    var bitrate: Encoder.Bitrate
    /// The relays (`PushTarget` URLs, one per line), sealed with the instance key.
    var pushURLSealed: String?
    /// The rotation's repeat rules: no track again within this many minutes, no artist within that.
    var trackGapMinutes: Int
    var artistGapMinutes: Int
    /// A station ID from this playlist after every `jingleEvery` songs of the rotation (0: none).
    var jinglePlaylistID: Int64?
    var jingleEvery: Int
    /// A station ID once an hour, at the first song change after this minute (nil: not hourly).
    var jingleMinute: Int?
    /// Live sets are recorded (as the DJ's client sent them) into the library "NAME – live sets".
    var recordLive: Bool
    /// The integrated loudness (LUFS) every item is brought to; nil airs files as they are.
    var targetLUFS: Int?
    /// What loops when nothing else can air (its first ``StationPlayout/fallbackSeconds``); nil: a tone.
    var fallbackTrackID: Int64?
    /// The station's own picture (set apart from the other fields: ``Stations/setArtwork(_:stationID:on:)``).
    var artwork: RadioArtwork?
    var createdAt: Int64
    var updatedAt: Int64

    init(row: any SQLRow) throws {
        id = try row.decode(column: "id", as: Int64.self)
        slug = try row.decode(column: "slug", as: String.self)
        name = try row.decode(column: "name", as: String.self)
        description = try row.decode(column: "description", as: String.self)
        timeZone = try row.decode(column: "time_zone", as: String.self)
        visibility = Visibility(rawValue: try row.decode(column: "visibility", as: String.self)) ?? .private
        ownerID = try row.decode(column: "owner_id", as: Int64?.self)
        outputs = try row.decode(column: "outputs", as: String.self).split(separator: ",").compactMap { StationOutput(rawValue: String($0)) }
        crossfadeMs = try row.decode(column: "crossfade_ms", as: Int.self)
        crossfadeCurve = CrossfadeCurve(rawValue: try row.decode(column: "crossfade_curve", as: String.self)) ?? .equalPower
        maxListeners = try row.decode(column: "max_listeners", as: Int.self)
        // Only ever written from a checked value; a row changed by hand airs at the standard rate.
        bitrate = Encoder.Bitrate(kbps: try row.decode(column: "bitrate", as: Int.self)) ?? .standard
        pushURLSealed = try row.decode(column: "push_url_sealed", as: String?.self)
        trackGapMinutes = try row.decode(column: "track_gap_minutes", as: Int.self)
        artistGapMinutes = try row.decode(column: "artist_gap_minutes", as: Int.self)
        jinglePlaylistID = try row.decode(column: "jingle_playlist_id", as: Int64?.self)
        jingleEvery = try row.decode(column: "jingle_every", as: Int.self)
        targetLUFS = try row.decode(column: "target_lufs", as: Int?.self)
        jingleMinute = try row.decode(column: "jingle_minute", as: Int?.self)
        recordLive = try row.decode(column: "record_live", as: Bool.self)
        artwork = try RadioArtwork(row: row)
        fallbackTrackID = try row.decode(column: "fallback_track_id", as: Int64?.self)
        createdAt = try row.decode(column: "created_at", as: Int64.self)
        updatedAt = try row.decode(column: "updated_at", as: Int64.self)
    }

    /// Whether the station airs station IDs at all (after N songs, or hourly).
    var airsJingles: Bool { jinglePlaylistID != nil && (jingleEvery > 0 || jingleMinute != nil) }

    /// Decoded from a playout's state file: fields added after the file was written take their defaults.
    init(from decoder: any Swift.Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(Int64.self, forKey: .id)
        slug = try c.decode(String.self, forKey: .slug)
        name = try c.decode(String.self, forKey: .name)
        description = try c.decodeIfPresent(String.self, forKey: .description) ?? ""
        timeZone = try c.decodeIfPresent(String.self, forKey: .timeZone) ?? "UTC"
        visibility = try c.decodeIfPresent(Visibility.self, forKey: .visibility) ?? .private
        ownerID = try c.decodeIfPresent(Int64.self, forKey: .ownerID)
        outputs = try c.decodeIfPresent([StationOutput].self, forKey: .outputs) ?? [.mp3]
        crossfadeMs = try c.decodeIfPresent(Int.self, forKey: .crossfadeMs) ?? 0
        crossfadeCurve = (try? c.decodeIfPresent(CrossfadeCurve.self, forKey: .crossfadeCurve)) ?? .equalPower
        maxListeners = try c.decodeIfPresent(Int.self, forKey: .maxListeners) ?? Self.defaultMaxListeners
        bitrate = (try? c.decodeIfPresent(Encoder.Bitrate.self, forKey: .bitrate)) ?? .standard
        pushURLSealed = try c.decodeIfPresent(String.self, forKey: .pushURLSealed)
        trackGapMinutes = try c.decodeIfPresent(Int.self, forKey: .trackGapMinutes) ?? 60
        artistGapMinutes = try c.decodeIfPresent(Int.self, forKey: .artistGapMinutes) ?? 20
        jinglePlaylistID = try c.decodeIfPresent(Int64.self, forKey: .jinglePlaylistID)
        jingleEvery = try c.decodeIfPresent(Int.self, forKey: .jingleEvery) ?? 0
        jingleMinute = try c.decodeIfPresent(Int.self, forKey: .jingleMinute)
        recordLive = try c.decodeIfPresent(Bool.self, forKey: .recordLive) ?? false
        targetLUFS = try c.decodeIfPresent(Int.self, forKey: .targetLUFS)
        artwork = try? c.decodeIfPresent(RadioArtwork.self, forKey: .artwork)
        fallbackTrackID = try c.decodeIfPresent(Int64.self, forKey: .fallbackTrackID)
        createdAt = try c.decodeIfPresent(Int64.self, forKey: .createdAt) ?? 0
        updatedAt = try c.decodeIfPresent(Int64.self, forKey: .updatedAt) ?? 0
    }

    /// Whether `viewer` (nil: not signed in) may listen and read what is playing, known without
    /// the database (a private station's managers also may: ``Stations/canListen(_:_:on:)``).
    func canListen(_ viewer: Principal?) -> Bool {
        switch visibility {
        case .public, .unlisted: true
        case .private: viewer.map { $0.isAdmin || $0.userID == ownerID } ?? false
        }
    }

    /// Whether `viewer` may delete the station and name its managers (its managers may change
    /// the rest: ``Stations/canManage(_:_:on:)``).
    func isOwnerOrAdmin(_ viewer: Principal) -> Bool { viewer.isAdmin || viewer.userID == ownerID }
}

/// The outputs a station can serve, at AzuraCast's URLs: MP3 and AAC mounts
/// (`/listen/SLUG/radio.mp3`) and HLS (`/hls/SLUG/live.m3u8`).
enum StationOutput: String, Sendable, CaseIterable, Codable {
    case mp3, aac, hls

    func path(slug: String) -> String {
        self == .hls ? "/hls/\(slug)/live.m3u8" : "/listen/\(slug)/radio.\(rawValue)"
    }
}

/// The radio feature's queries over `stations` (written only here).
enum Stations {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Lower-case letters, digits and hyphens, 2–40 long, starting with a letter or digit: it is a URL path segment.
    static func validSlug(_ slug: String) -> Bool {
        (2...40).contains(slug.count) && slug.first.map { $0.isASCII && ($0.isLetter || $0.isNumber) } == true
            && slug.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }
    }

    static func all(on db: any SQLDatabase) async throws -> [StationRecord] {
        try await db.raw("SELECT * FROM stations ORDER BY name, id").all().map(StationRecord.init(row:))
    }

    static func find(slug: String, on db: any SQLDatabase) async throws -> StationRecord? {
        try await db.raw("SELECT * FROM stations WHERE slug = \(bind: slug)").first().map(StationRecord.init(row:))
    }

    /// The stations listed to `viewer`: public ones, their own, those they manage and (for admins) all.
    static func listed(to viewer: Principal, on db: any SQLDatabase) async throws -> [StationRecord] {
        let managed = try await StationRoster.managers.stationIDs(userID: viewer.userID, on: db)
        return try await all(on: db).filter { $0.visibility == .public || $0.isOwnerOrAdmin(viewer) || managed.contains($0.id) }
    }

    /// Whether `viewer` may change the station: its owner, one of its managers or an administrator.
    static func canManage(_ station: StationRecord, _ viewer: Principal, on db: any SQLDatabase) async throws -> Bool {
        if station.isOwnerOrAdmin(viewer) { return true }
        return try await StationRoster.managers.contains(userID: viewer.userID, stationID: station.id, on: db)
    }

    /// ``StationRecord/canListen(_:)``, and a private station's managers.
    static func canListen(_ station: StationRecord, _ viewer: Principal?, on db: any SQLDatabase) async throws -> Bool {
        if station.canListen(viewer) { return true }
        guard let viewer else { return false }
        return try await StationRoster.managers.contains(userID: viewer.userID, stationID: station.id, on: db)
    }

    static func create(
        slug: String, name: String, description: String, timeZone: String, visibility: StationRecord.Visibility,
        ownerID: Int64?, outputs: [StationOutput], crossfadeMs: Int, bitrate: Encoder.Bitrate, on db: any SQLDatabase
    ) async throws -> StationRecord? {
        let now = Clock.nowMillis()
        return try await db.raw(
            """
            INSERT INTO stations (slug, name, description, time_zone, visibility, owner_id, outputs, crossfade_ms, bitrate, created_at, updated_at)
            VALUES (\(bind: slug), \(bind: name), \(bind: description), \(bind: timeZone), \(bind: visibility.rawValue), \(bind: ownerID),
                    \(bind: outputs.map(\.rawValue).joined(separator: ",")), \(bind: crossfadeMs), \(bind: bitrate.kbps), \(bind: now), \(bind: now))
            ON CONFLICT DO NOTHING RETURNING *
            """
        ).first().map(StationRecord.init(row:))
    }

    static func update(_ station: StationRecord, on db: any SQLDatabase) async throws {
        try await db.raw(
            """
            UPDATE stations SET name = \(bind: station.name), description = \(bind: station.description), time_zone = \(bind: station.timeZone),
              visibility = \(bind: station.visibility.rawValue), outputs = \(bind: station.outputs.map(\.rawValue).joined(separator: ",")),
              crossfade_ms = \(bind: station.crossfadeMs), crossfade_curve = \(bind: station.crossfadeCurve.rawValue), max_listeners = \(bind: station.maxListeners), bitrate = \(bind: station.bitrate.kbps), push_url_sealed = \(bind: station.pushURLSealed),
              track_gap_minutes = \(bind: station.trackGapMinutes), artist_gap_minutes = \(bind: station.artistGapMinutes),
              jingle_playlist_id = \(bind: station.jinglePlaylistID), jingle_every = \(bind: station.jingleEvery),
              target_lufs = \(bind: station.targetLUFS), jingle_minute = \(bind: station.jingleMinute),
              record_live = \(bind: station.recordLive), fallback_track_id = \(bind: station.fallbackTrackID),
              updated_at = \(bind: Clock.nowMillis())
            WHERE id = \(bind: station.id)
            """
        ).run()
    }

    static func delete(id: Int64, on db: any SQLDatabase) async throws {
        try await db.raw("DELETE FROM stations WHERE id = \(bind: id)").run()
    }

    /// Sets (or with nil removes) the station's picture.
    static func setArtwork(_ artwork: RadioArtwork?, stationID: Int64, on db: any SQLDatabase) async throws {
        try await db.raw(
            """
            UPDATE stations SET artwork_hash = \(bind: artwork?.hash), artwork_mime = \(bind: artwork?.mime), updated_at = \(bind: Clock.nowMillis())
            WHERE id = \(bind: stationID)
            """
        ).run()
    }
}

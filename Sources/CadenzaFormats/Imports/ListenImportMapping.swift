import Foundation

/// Listening-history files other services export, read into candidate listens. Each entry is
/// validated with ListenBrainz's rules; what fails is counted as skipped, not fatal.
public enum ListenImportFormat: String, Codable, CaseIterable, Sendable {
    case listenbrainz, lastfmCSV = "lastfm_csv", maloja

    /// Guesses the format from the first bytes of a file (zip archives are ListenBrainz exports).
    public static func sniff(_ head: [UInt8]) -> ListenImportFormat? {
        if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) { return .listenbrainz }
        let text = String(decoding: head, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if text.hasPrefix("{") && text.contains("\"scrobbles\"") { return .maloja }
        if text.hasPrefix("[") || text.hasPrefix("{") { return .listenbrainz }
        if !text.isEmpty { return .lastfmCSV }
        return nil
    }
}

/// One entry of an import file: a listen, or why it was skipped.
public enum ImportEntry: Sendable {
    case listen(IncomingListen)
    case skipped(String)
}

/// Each service's export format mapped to ListenBrainz listen documents, each validated with
/// ListenBrainz's rules: what fails is an entry skipped with its reason, never fatal.
public enum ListenImportMapping {
    public static func validated(_ listen: [String: JSONValue], now: Int64) -> ImportEntry {
        do {
            return .listen(try ListenValidator.validate(listen: .object(listen), type: .import, now: now))
        } catch let error as ListenBrainzError {
            return .skipped(error.message)
        } catch {
            return .skipped("\(error)")
        }
    }

    /// One ListenBrainz listen object as exported (extra fields ignored).
    public static func listenBrainzListen(_ value: JSONValue, now: Int64) -> ImportEntry {
        guard case .object(let object) = value else { return .skipped("not a listen object") }
        var listen: [String: JSONValue] = [:]
        listen["listened_at"] = object["listened_at"]
        listen["track_metadata"] = object["track_metadata"]
        return validated(listen, now: now)
    }

    /// One line of a JSON Lines export.
    public static func listenBrainzLine(_ line: ArraySlice<UInt8>, now: Int64) -> ImportEntry? {
        guard line.contains(where: { $0 > 0x20 }) else { return nil }
        guard let value = try? JSONValue.parse(Array(line)) else { return .skipped("a line is not valid JSON") }
        return listenBrainzListen(value, now: now)
    }

    /// A JSON array of listens, or JSON Lines with one listen per line.
    public static func listenBrainz(_ data: Data, now: Int64) throws -> [ImportEntry] {
        func listen(_ value: JSONValue) -> ImportEntry { listenBrainzListen(value, now: now) }
        let first = data.first { !($0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09) }
        if first == UInt8(ascii: "[") {
            guard case .array(let items) = try JSONValue.parse(Array(data)) else { return [] }
            return items.map(listen)
        }
        return Array(data).split(separator: UInt8(ascii: "\n")).compactMap { listenBrainzLine($0, now: now) }
    }

    /// Last.fm scrobble CSV: either with a header naming the columns (uts/utc_time, artist,
    /// album, track, *_mbid) or the common header-less `artist,album,track,date` ("31 Jan 2021 14:05", UTC).
    public static func lastfmCSV(_ text: String, now: Int64) -> [ImportEntry] {
        let rows = CSV.rows(text)
        guard let first = rows.first else { return [] }
        let header = first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        let named = header.contains("artist") && (header.contains("track") || header.contains("title"))
        func column(_ names: [String]) -> Int? { names.lazy.compactMap { header.firstIndex(of: $0) }.first }
        let artist = named ? column(["artist"]) : 0
        let album = named ? column(["album"]) : 1
        let track = named ? column(["track", "title"]) : 2
        let uts = named ? column(["uts", "timestamp", "unix"]) : nil
        let date = named ? column(["utc_time", "date", "time"]) : 3
        let trackMBID = named ? column(["track_mbid", "recording_mbid"]) : nil
        let artistMBID = named ? column(["artist_mbid"]) : nil
        let albumMBID = named ? column(["album_mbid", "release_mbid"]) : nil
        return rows.dropFirst(named ? 1 : 0).compactMap { row -> ImportEntry? in
            if row.allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) { return nil }
            func value(_ index: Int?) -> String? {
                guard let index, index < row.count else { return nil }
                let text = row[index].trimmingCharacters(in: .whitespaces)
                return text.isEmpty ? nil : text
            }
            var ts: Int64?
            if let raw = value(uts) { ts = Int64(raw) }
            if ts == nil, let raw = value(date) { ts = lastfmDate(raw) ?? Int64(raw) }
            guard let ts else { return .skipped("no timestamp") }
            var info: [String: JSONValue] = [:]
            if let mbid = value(trackMBID) { info["recording_mbid"] = .string(mbid) }
            if let mbid = value(albumMBID) { info["release_mbid"] = .string(mbid) }
            if let mbid = value(artistMBID) { info["artist_mbids"] = .array([.string(mbid)]) }
            info["submission_client"] = .string("Last.fm CSV import")
            var metadata: [String: JSONValue] = [
                "artist_name": value(artist).map(JSONValue.string) ?? .null,
                "track_name": value(track).map(JSONValue.string) ?? .null,
                "additional_info": .object(info),
            ]
            if let name = value(album) { metadata["release_name"] = .string(name) }
            return validated(["listened_at": .number(Double(ts)), "track_metadata": .object(metadata)], now: now)
        }
    }

    /// Last.fm's export date, "31 Jan 2021 14:05" (UTC), as Unix seconds; nil for anything else.
    /// Read by hand: Foundation's DateFormatter traps on some malformed input (found by fuzzing,
    /// Fuzz/regressions/crash-b098e7ce…), and an import must never take its worker down.
    public static func lastfmDate(_ text: String) -> Int64? {
        let parts = text.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 4, parts[0].count <= 2, parts[2].count == 4,
            let day = Int(parts[0]), let year = Int(parts[2]), (1...31).contains(day), (1970...2999).contains(year)
        else { return nil }
        let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        guard let month = months.firstIndex(of: parts[1].lowercased()).map({ $0 + 1 }) else { return nil }
        let clock = parts[3].split(separator: ":", omittingEmptySubsequences: false)
        guard clock.count == 2, clock[0].count <= 2, clock[1].count == 2, let hour = Int(clock[0]), let minute = Int(clock[1]),
            (0...23).contains(hour), (0...59).contains(minute)
        else { return nil }
        let lengths = [31, year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard day <= lengths[month - 1] else { return nil }
        // Days since 1970-01-01 of a civil date (the proleptic Gregorian calendar).
        let y = month <= 2 ? year - 1 : year
        let era = y / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        return Int64(days) * 86_400 + Int64(hour * 3_600 + minute * 60)
    }

    /// Maloja's export: `{"scrobbles": [{"time", "track": {"title", "artists", "album": {"albumtitle"}, "length"}, "duration"}]}`.
    public static func maloja(_ data: Data, now: Int64) throws -> [ImportEntry] {
        guard case .object(let root) = try JSONValue.parse(Array(data)),
            case .array(let scrobbles)? = root["scrobbles"]
        else { return [] }
        return scrobbles.map { item in
            guard case .object(let scrobble) = item, case .object(let track)? = scrobble["track"] else { return .skipped("not a scrobble") }
            var artists: [String] = []
            if case .array(let names)? = track["artists"] {
                for case .string(let name) in names { artists.append(name) }
            }
            var metadata: [String: JSONValue] = [
                "track_name": track["title"] ?? .null,
                "artist_name": artists.isEmpty ? .null : .string(artists.joined(separator: ", ")),
            ]
            if case .object(let album)? = track["album"], case .string(let title)? = album["albumtitle"] {
                metadata["release_name"] = .string(title)
            }
            var info: [String: JSONValue] = ["submission_client": .string("Maloja import")]
            if case .number(let length)? = track["length"], length > 0 { info["duration"] = .number(length) }
            if case .number(let played)? = scrobble["duration"], played > 0 { info["duration_played"] = .number(played) }
            metadata["additional_info"] = .object(info)
            return validated(["listened_at": scrobble["time"] ?? .null, "track_metadata": .object(metadata)], now: now)
        }
    }
}

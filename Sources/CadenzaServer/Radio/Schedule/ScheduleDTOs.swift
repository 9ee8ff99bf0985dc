import Foundation
import Vapor

/// A show as the API shows it: dates and times in the station's own zone.
struct ShowDTO: Content {
    var id: String
    var title: String
    var hosts: [String]
    var description: String
    var playlistId: String?
    var introTrackId: String?
    var outroTrackId: String?
    var startDate: String
    var startTime: String
    var durationMinutes: Int
    var `repeat`: ShowRule.Frequency
    var every: Int
    var weekdays: [String]
    var monthlyBy: ShowRule.MonthlyBy
    var until: String?
    /// The show's picture; absent when it has none.
    var artworkUrl: String?

    init(_ show: ShowRecord, slug: String) {
        artworkUrl = StationArtwork.url(show.artwork, slug: slug, showID: show.id)
        id = String(show.id)
        title = show.title
        hosts = show.hosts
        description = show.description
        playlistId = show.playlistID.map(String.init)
        introTrackId = show.introTrackID.map(String.init)
        outroTrackId = show.outroTrackID.map(String.init)
        startDate = LocalText.date(show.rule.startDay)
        startTime = LocalText.time(show.rule.startSecond)
        durationMinutes = show.rule.durationMinutes
        `repeat` = show.rule.frequency
        every = show.rule.interval
        weekdays = show.rule.weekdays.sorted().map { LocalText.weekdays[$0] }
        monthlyBy = show.rule.monthlyBy
        until = show.rule.untilDay.map(LocalText.date)
    }
}

/// One airing of a show on the station calendar.
struct OccurrenceDTO: Content {
    var showId: String
    var title: String
    var hosts: [String]
    /// The local date the show's rule gave it: the key to cancel or move it by.
    var date: String
    var start: Date
    var end: Date
    /// Start and end in the station's zone, as the calendar draws them.
    var localStart: String
    var localEnd: String
    var playlistId: String?
    var cancelled: Bool
    var moved: Bool

    init(_ occurrence: PlannedOccurrence, zone: TimeZone) {
        showId = String(occurrence.show.id)
        title = occurrence.show.title
        hosts = occurrence.show.hosts
        date = LocalText.date(occurrence.day)
        start = Clock.date(occurrence.start)
        end = Clock.date(occurrence.end)
        localStart = LocalText.local(occurrence.start, zone: zone)
        localEnd = LocalText.local(occurrence.end, zone: zone)
        playlistId = occurrence.playlistID.map(String.init)
        cancelled = occurrence.cancelled
        moved = occurrence.moved
    }
}

struct RadioPlaylistDTO: Content {
    struct Entry: Content {
        var trackId: String
        var title: String?
        var artist: String?
        var durationMs: Int?
        var cueInMs: Int?
        var cueOutMs: Int?
        var fadeInMs: Int? = nil
        var fadeOutMs: Int? = nil
    }

    /// How many tracks a smart block matches now, and their length in all.
    struct Matching: Content {
        var tracks: Int
        var durationMs: Int64
    }

    var id: String
    var name: String
    /// "static" (ordered entries) or "smart" (chosen by `smart`'s rules when it airs).
    var kind: String
    var smart: SmartBlock?
    /// Its share of the autoDJ rotation (0: not in it).
    var rotationWeight: Int
    var entryCount: Int
    var updatedAt: Date
    /// A static playlist's entries; for a smart block, what it would air now.
    var entries: [Entry]?
    var matching: Matching?

    init(_ playlist: RadioPlaylists.Summary, entries: [Entry]? = nil, matching: Matching? = nil) {
        id = String(playlist.id)
        name = playlist.name
        kind = playlist.smart == nil ? "static" : "smart"
        smart = playlist.smart
        rotationWeight = playlist.rotationWeight
        entryCount = entries?.count ?? playlist.entries
        updatedAt = Clock.date(playlist.updatedAt)
        self.entries = entries
        self.matching = matching
    }
}

/// What a smart block's rules match now: the count and length, and the first tracks it would air.
struct SmartBlockPreviewDTO: Content {
    var matching: RadioPlaylistDTO.Matching
    var tracks: [RadioPlaylistDTO.Entry]
    var durationMs: Int64
}

/// Local dates ("2027-03-14"), times ("09:30" or "09:30:15") and weekday names, read strictly.
enum LocalText {
    static let weekdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

    static func date(_ day: Int64) -> String {
        let c = LocalCalendar.civil(day)
        return String(format: "%04lld-%02lld-%02lld", c.year, c.month, c.day)
    }

    static func time(_ second: Int) -> String {
        second % 60 == 0
            ? String(format: "%02d:%02d", second / 3_600, second / 60 % 60)
            : String(format: "%02d:%02d:%02d", second / 3_600, second / 60 % 60, second % 60)
    }

    /// "2027-03-14T09:30" in `zone`.
    static func local(_ millis: Int64, zone: TimeZone) -> String {
        let seconds = LocalCalendar.floorDiv(millis, 1000)
        let local = seconds + Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(seconds))))
        let day = LocalCalendar.floorDiv(local, 86_400)
        return date(day) + "T" + time(Int(local - day * 86_400) / 60 * 60)
    }

    /// The day number of "YYYY-MM-DD" (years 2000 to 2200: a schedule, not a history).
    static func parseDate(_ text: String) -> Int64? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard text.count == 10, parts.count == 3, parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
            let y = Int64(parts[0]), let m = Int64(parts[1]), let d = Int64(parts[2]), (2000...2200).contains(y), (1...12).contains(m), d >= 1
        else { return nil }
        let day = LocalCalendar.dayNumber(year: y, month: m, day: d)
        // 2027-02-30 would roll into March: refused.
        return LocalCalendar.civil(day) == (y, m, d) ? day : nil
    }

    /// Seconds after midnight of "HH:MM" or "HH:MM:SS".
    static func parseTime(_ text: String) -> Int? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard (2...3).contains(parts.count), parts.allSatisfy({ $0.count == 2 && $0.allSatisfy { $0.isASCII && $0.isNumber } }),
            let h = Int(parts[0]), let m = Int(parts[1]), h < 24, m < 60
        else { return nil }
        let s = parts.count == 3 ? Int(parts[2]) ?? 60 : 0
        guard s < 60 else { return nil }
        return h * 3_600 + m * 60 + s
    }
}

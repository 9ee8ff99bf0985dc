import CadenzaPlayout
import Foundation
import Logging
import NIOConcurrencyHelpers

/// The hourly station ID: once an hour, at the first song change after the station's jingle
/// minute (in its time zone), one of its jingles airs next, as AzuraCast's "once per hour"
/// playlists do. Not over a show or a live set, and not at the moment the station comes on air.
extension StationPlayout {
    func hourlyJingle(libraries: [Int64]) async {
        let station = self.station
        guard let minute = station.jingleMinute, station.jinglePlaylistID != nil else { return }
        let now = Clock.nowMillis()
        let mark = Self.hourMark(before: now, minute: minute, zone: TimeZone(identifier: station.timeZone) ?? .gmt)
        if state.withLockedValue({ $0.hourlyJingleMark }) == nil {
            // A fresh start skips this hour's ID; a restart or a takeover in an hour whose ID
            // had not aired yet still owes it.
            let owed = await hourlyJingleOwed(since: mark, libraries: libraries)
            state.withLockedValue { $0.hourlyJingleMark = owed ? mark - 3_600_000 : mark }
        }
        let due = state.withLockedValue { state -> Bool in
            guard let last = state.hourlyJingleMark else { return false }
            let showOnAir = ScheduleWindow.occurrences(state.schedule).contains { $0.start <= now && now < $0.end }
            return last < mark && state.live == nil && !showOnAir
        }
        guard due else { return }
        await refreshJingles(libraries: libraries)
        guard let jingle = state.withLockedValue({ $0.jingles.randomElement() }) else { return }
        let item = await withLoudness([jingle]).first ?? jingle
        state.withLockedValue { $0.hourlyJingleMark = mark }
        engine.playNext(item)
        logger.info("station \(station.slug): hourly station ID \(item.title) airs next")
    }

    /// Whether the station was on air after `mark` before this process's bus started (a
    /// restart, a takeover) and no station ID aired since `mark`: then this hour's ID is still
    /// owed. Unknown (the database away) counts as not owed: one ID too few, never two an hour.
    func hourlyJingleOwed(since mark: Int64, libraries: [Int64]) async -> Bool {
        let started = Int64((state.withLockedValue { $0.busStarted }.timeIntervalSince1970 * 1000).rounded())
        guard let plays = try? await AsRunLog.plays(stationID: station.id, since: mark - 3_600_000, on: db) else { return false }
        let onAirAfterMark = plays.contains { play in
            play.startedAt < started && (play.durationMs.map { play.startedAt + $0 > mark } ?? true)
        }
        guard onAirAfterMark else { return false }
        await refreshJingles(libraries: libraries)
        let jingles = Set(state.withLockedValue { $0.jingles }.map(\.id))
        return !plays.contains { $0.startedAt >= mark && ($0.trackID.map { jingles.contains(String($0)) } ?? false) }
    }

    /// The station's playlists changed: the rotation is read again at once, and what it queued
    /// from the old one gives way (shows' items, jingles and a manager's picks stay).
    func rotationChanged() {
        state.withLockedValue {
            $0.poolRead = .distantPast
            $0.reserve = []
        }
        queue.replace(with: queue.upcoming.filter { !$0.tag.isEmpty })
    }

    /// The latest wall-clock instant at or before `now` whose minute of the hour, in `zone`, is `minute`.
    static func hourMark(before now: Int64, minute: Int, zone: TimeZone) -> Int64 {
        let offset = Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(now) / 1000))) * 1000
        let local = now + offset
        var mark = local - local % 3_600_000 + Int64(max(0, min(minute, 59))) * 60_000
        if mark > local { mark -= 3_600_000 }
        return mark - offset
    }
}

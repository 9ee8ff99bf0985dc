import CadenzaPlayout
import Foundation
import Logging
import NIOConcurrencyHelpers

/// How a station follows its schedule: the cut at each show boundary is armed on the bus ahead
/// of time (sample-exact, with a fade), a show already under way is joined at the right offset,
/// and a show's items are queued in order; between shows, and when a show's content runs out,
/// the rotation fills.
extension StationPlayout {
    /// How often the schedule is read again (changes reach the bus within this).
    static let scheduleRefresh: TimeInterval = 5
    /// How far ahead of the bus a boundary's cut is armed.
    static let armAheadMillis: Int64 = 15_000
    /// How much of the schedule the playout keeps (what it airs through a database outage).
    static let windowMillis: Int64 = 24 * 3_600_000

    func refreshSchedule(libraries: [Int64], force: Bool = false) async {
        let due = state.withLockedValue { force || Date().timeIntervalSince($0.scheduleRead) >= Self.scheduleRefresh }
        guard due else { return }
        let now = Clock.nowMillis()
        do {
            let items = try await ScheduleWindow.load(
                stationID: station.id, from: now - 60_000, to: now + Self.windowMillis, libraries: libraries,
                targetLUFS: station.targetLUFS, on: db)
            state.withLockedValue {
                $0.schedule = items
                $0.scheduleRead = Date()
            }
        } catch {
            // Kept as it was: the station airs what it knows.
            state.withLockedValue { $0.scheduleRead = Date() }
            logger.warning("station \(station.slug): the schedule could not be read; airing the one it has: \(String(describing: error))")
        }
    }

    /// The bus frame that airs at wall-clock `millis` (rounded up, as `PCM.frames`, but without
    /// its one-day cap: a bus runs for months).
    func frame(atWall millis: Int64) -> Int64 {
        let started = state.withLockedValue { $0.busStarted }
        let elapsed = max(0, millis - Int64((started.timeIntervalSince1970 * 1000).rounded()))
        return (elapsed * Int64(PCM.sampleRate) + 999) / 1000
    }

    /// A show's items from wall-clock `at` on: the one airing then, from its offset, and the next.
    func joinItems(_ occurrence: ScheduleWindow.Occurrence, at: Int64) -> (items: [PlayoutItem], lastQueued: Int64) {
        let schedule = state.withLockedValue { $0.schedule }.filter { $0.occurrenceStart == occurrence.start }
        let upcoming = schedule.filter { $0.endsAt > at + 1_000 }
        // An outro not begun yet airs by its own cut, at its instant.
        guard let first = upcoming.first, !(first.isOutro && first.startsAt > at) else { return ([], schedule.last?.startsAt ?? Int64.min) }
        let offset = first.startsAt < at ? Int(clamping: at - first.startsAt) : 0
        // An outro after it airs by its own cut, not queued.
        let following = upcoming.dropFirst().filter { !$0.isOutro }.prefix(1)
        let items = [first.playoutItem(offsetMs: offset)] + following.map { $0.playoutItem() }
        return (items, following.last?.startsAt ?? first.startsAt)
    }

    /// Whether the bus is in a show's outro: nothing from the rotation is queued behind it (it
    /// ends with the show, where the next cut takes over).
    func outroOnAir() -> Bool {
        let busNow = wallMillis(engine.framesWritten)
        return state.withLockedValue { state in
            state.schedule.contains { $0.isOutro && $0.startsAt <= busNow + 1_000 && busNow < $0.occurrenceEnd }
        }
    }

    /// Queues a show under way from where the clock says (a start or restart inside it).
    func joinShow(_ onAir: ScheduleWindow.Occurrence, at now: Int64) {
        let (items, last) = joinItems(onAir, at: now)
        for item in items { queue.append(item) }
        state.withLockedValue {
            $0.activeOccurrence = onAir.start
            $0.lastQueuedScheduled = last
        }
    }

    /// The show's next items after the last one queued, while its occurrence is on the bus.
    func nextShowItems(count: Int) -> [PlayoutItem] {
        let busNow = wallMillis(engine.framesWritten)
        return state.withLockedValue { state -> [PlayoutItem] in
            guard let active = state.activeOccurrence,
                let first = state.schedule.first(where: { $0.occurrenceStart == active }),
                first.occurrenceStart <= busNow, busNow < first.occurrenceEnd
            else { return [] }
            let last = state.lastQueuedScheduled
            let next = state.schedule.filter { $0.occurrenceStart == active && $0.startsAt > last && !$0.isOutro }.prefix(count)
            if let latest = next.last { state.lastQueuedScheduled = latest.startsAt }
            return next.map { $0.playoutItem() }
        }
    }

    /// Arms the cut at the next boundary within reach, or joins a show already under way. A cut
    /// is known by its instant and what it airs: a change to either re-arms it, a boundary that
    /// went away calls it off, and a join is left alone until the bus reaches it.
    func followSchedule(libraries: [Int64]) async {
        let busNow = wallMillis(engine.framesWritten)
        let (schedule, active, armed, live) = state.withLockedValue { ($0.schedule, $0.activeOccurrence, $0.armedCut, $0.live != nil) }
        // A live DJ holds the air: no show cuts in on them.
        if live { return }
        if let armed, armed.join, armed.at > busNow, engine.pendingCutFrame != nil { return }
        let occurrences = ScheduleWindow.occurrences(schedule)
        // (The next show's cut armed ahead makes it the active one before it begins: the show
        // on air till then is not joined again.)
        if let onAir = occurrences.first(where: { $0.start <= busNow && busNow < $0.end }), active != onAir.start,
            (active ?? Int64.min) <= busNow
        {
            // Made a moment ago, or found after a gap in the schedule: join it now, faded in
            // a second from the bus's position, at the offset the clock says.
            let at = busNow + 1_000
            let (items, last) = joinItems(onAir, at: at)
            let frame = frame(atWall: at)
            // Armed under the state lock, where a DJ going live also cuts: never over a DJ.
            let joined = state.withLockedValue { state -> Bool in
                guard state.live == nil else { return false }
                if !items.isEmpty {
                    engine.cut(atFrame: frame, to: items)
                    state.armedCut = (at, "join", true)
                }
                state.activeOccurrence = onAir.start
                state.lastQueuedScheduled = last
                return true
            }
            guard joined else { return }
            logger.info("station \(station.slug) joins \(onAir.title) under way")
            return
        }
        // Boundaries: shows' starts and ends, and their outros' starts (the content is cut there).
        let outros = schedule.filter { $0.isOutro && $0.startsAt < $0.occurrenceEnd }
        let next = (occurrences.flatMap { [$0.start, $0.end] } + outros.map(\.startsAt))
            .filter { $0 > busNow && $0 <= busNow + Self.armAheadMillis }.min()
        guard let next else {
            if let armed, armed.at > busNow, engine.pendingCutFrame != nil {
                // The boundary went away (the show was cancelled or moved): no cut.
                let frame = self.frame(atWall: armed.at)
                state.withLockedValue { state in
                    guard state.live == nil else { return }
                    engine.cancelCut(ifFrame: frame)
                    state.armedCut = nil
                }
            }
            return
        }
        let starting = occurrences.first { $0.start == next }
        let first =
            starting.map { occurrence in
                schedule.filter { $0.occurrenceStart == occurrence.start && (!$0.isOutro || $0.startsAt == occurrence.start) }.prefix(2)
            } ?? outros.filter { $0.startsAt == next }.prefix(1)
        let key = first.first?.playoutItem().tag ?? "rotation"
        if let armed, armed.at == next, armed.key == key { return }
        var items = first.map { $0.playoutItem() }
        if items.isEmpty { items = await rotationItems(count: 2, libraries: libraries) }
        let frame = frame(atWall: next)
        state.withLockedValue { state in
            guard state.live == nil else { return }
            engine.cut(atFrame: frame, to: items)
            state.armedCut = (next, key, false)
            if let starting {
                state.activeOccurrence = starting.start
                state.lastQueuedScheduled = first.last?.startsAt ?? Int64.min
            }
        }
    }
}

import CadenzaPlayout
import Foundation
import NIOConcurrencyHelpers

/// Signed-in listeners: what they hear on a station becomes their listens (half the track or
/// four minutes, the ListenBrainz rule), through the `station.heard` event the listens feature
/// consumes.
extension StationPlayout {
    func listenerJoined(userID: Int64) -> UUID {
        let key = UUID()
        state.withLockedValue { $0.personal[key] = (userID, Clock.nowMillis()) }
        return key
    }

    /// The listener left: the item on air counts for them if they heard enough of it.
    func listenerLeft(_ key: UUID, at now: Int64 = Clock.nowMillis()) {
        let slug = station.slug
        state.withLockedValue { state in
            guard let listener = state.personal.removeValue(forKey: key), let current = state.current else { return }
            if let heard = Self.heard(current, by: listener, until: now, slug: slug) { state.pendingWrites.append(.heard(heard)) }
        }
    }

    /// A signed-in HLS player asked for the live playlist. HLS has no connection to end: a user
    /// listens from their first request until one `HLSAudience.window` passes without one
    /// (``expireHLSListeners()``), and is counted until their last request.
    func hlsListenerSeen(userID: Int64) {
        let now = Clock.nowMillis()
        // One critical section: two first requests at once must not both join (the loser's
        // entry would never leave and be credited with every item after).
        state.withLockedValue { state in
            if state.hlsPersonal[userID] != nil {
                state.hlsPersonal[userID]?.lastSeen = now
                return
            }
            // A bound on what one station remembers, whoever asks.
            guard state.hlsPersonal.count < HLSAudience.maxClients else { return }
            let key = UUID()
            state.personal[key] = (userID, now)
            state.hlsPersonal[userID] = (key, now)
        }
    }

    /// HLS listeners whose player stopped asking have left, as of their last request.
    func expireHLSListeners(now: Int64 = Clock.nowMillis()) {
        let gone = state.withLockedValue { state -> [(key: UUID, lastSeen: Int64)] in
            let window = Int64(HLSAudience.window * 1_000)
            let expired = state.hlsPersonal.filter { now - $0.value.lastSeen > window }
            for userID in expired.keys { state.hlsPersonal.removeValue(forKey: userID) }
            return Array(expired.values)
        }
        for listener in gone { listenerLeft(listener.key, at: listener.lastSeen) }
    }

    /// Off air: whoever is still listening heard the item on air until now (an HLS listener until
    /// their last request), then nobody is (a mount's connection closing later credits nothing twice).
    func listenersLeftAtStop(now: Int64 = Clock.nowMillis()) {
        let slug = station.slug
        state.withLockedValue { state in
            if let current = state.current {
                for heard in Self.heardByListeners(current, until: now, in: state, slug: slug) { state.pendingWrites.append(.heard(heard)) }
            }
            state.personal = [:]
            state.hlsPersonal = [:]
        }
    }

    /// The listens of everyone listening who heard enough of `item` by `until`; an HLS listener
    /// is heard until their last playlist request, not beyond.
    static func heardByListeners(
        _ item: (item: PlayoutItem, frame: Int64, source: AsRunLog.Source, startedAt: Int64, priorMs: Int), until: Int64, in state: State,
        slug: String
    ) -> [RadioEvents.Heard] {
        let asked = Dictionary(state.hlsPersonal.values.map { ($0.key, $0.lastSeen) }, uniquingKeysWith: max)
        return state.personal.compactMap { key, listener in
            heard(item, by: listener, until: asked[key].map { min($0, until) } ?? until, slug: slug)
        }
    }

    /// A listen for `listener` if they heard enough of `item` (a library track of the rotation,
    /// a show or a play-next; not a station ID, a live set or the fallback tone) by `until`.
    static func heard(
        _ item: (item: PlayoutItem, frame: Int64, source: AsRunLog.Source, startedAt: Int64, priorMs: Int),
        by listener: (userID: Int64, since: Int64), until: Int64, slug: String
    ) -> RadioEvents.Heard? {
        guard item.source == .autodj || item.source == .scheduled, item.item.tag != "j", let trackID = Int64(item.item.id) else { return nil }
        let from = max(item.startedAt, listener.since)
        let length = Int64(item.item.playMs + item.priorMs)
        guard until > from, Plays.reachedListen(position: until - from, durationMs: length) else { return nil }
        return RadioEvents.Heard(slug: slug, trackId: trackID, userId: listener.userID, listenedAt: from)
    }
}

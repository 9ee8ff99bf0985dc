import CadenzaPlayout
import Foundation
import Logging
import NIOConcurrencyHelpers

/// A DJ on air: their source takes over from the schedule (what played fades out), holds the
/// air while connected, and hands back when they leave: to the show on air, joined where the
/// clock says, or to the rotation.
extension StationPlayout {
    /// Whether a DJ holds the air (or is about to).
    var isLive: Bool { state.withLockedValue { $0.live != nil } }

    /// Puts `feed` on air a moment from now; false when another DJ is already live.
    func goLive(_ feed: LiveFeed, title: String) -> Bool {
        // Half a second more than the bus's lead: the feed's decoder starts at once and has
        // that much audio buffered when the cut lands, so the live audio never runs dry.
        let at = wallMillis(engine.framesWritten) + 1_500
        let frame = frame(atWall: at)
        let item = PlayoutItem(id: "", path: feed.path, title: title, artist: "", durationMs: 86_400_000, tag: "live")
        // Checked and cut under the state lock: the schedule's cuts are armed under it too.
        let taken = state.withLockedValue { state -> Bool in
            guard state.live == nil else { return false }
            state.live = feed
            state.liveCutFrame = frame
            state.armedCut = (at, "live", true)
            engine.cut(atFrame: frame, to: [item])
            return true
        }
        if taken { logger.info("station \(station.slug): \(title) is on air") }
        return taken
    }

    /// The DJ left: the schedule has the air again once their last audio has played (or at
    /// once, if the cut to them had not landed yet).
    func liveEnded(_ feed: LiveFeed) {
        let ended = state.withLockedValue { state -> Bool in
            guard state.live === feed else { return false }
            if let frame = state.liveCutFrame, frame > engine.framesWritten { engine.cancelCut(ifFrame: frame) }
            state.live = nil
            state.liveCutFrame = nil
            state.activeOccurrence = nil
            state.armedCut = nil
            return true
        }
        if ended { logger.info("station \(station.slug): the live source left") }
    }

    /// The live item ended on the air's side (skipped by a manager, or its decoder died): the
    /// source is let go, so a client that reconnects finds the air free.
    func liveItemEnded(_ item: PlayoutItem) {
        guard let feed = state.withLockedValue({ $0.live }), item.path == feed.path else { return }
        feed.kill()
        liveEnded(feed)
    }

    /// A title the DJ's client sent (Icecast's metadata update, on a connection of its own):
    /// listeners see it from now on, while the live item is what airs.
    func liveTitle(_ title: String) {
        let frame = engine.framesWritten
        let onAir = state.withLockedValue { state -> Bool in
            guard state.live != nil, var current = state.current, current.item.tag == "live" else { return false }
            current.item.title = title
            state.current = current
            state.announce = true
            return true
        }
        guard onAir else { return }
        for mount in titledMounts { mount.setTitle(title, atFrame: frame) }
        pushTitle(title)
    }
}

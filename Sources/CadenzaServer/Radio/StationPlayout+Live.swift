import CadenzaPlayout
import Foundation
import Logging
import NIOConcurrencyHelpers

/// A DJ on air: their source takes over from the schedule (what played fades out), holds the
/// air while connected, and hands back when they leave: to the show on air, joined where the
/// clock says, or to the rotation.
extension StationPlayout {
    /// Puts `feed` on air a moment from now; false when another DJ is already live.
    func goLive(_ feed: LiveFeed, title: String) -> Bool {
        let taken = state.withLockedValue { state -> Bool in
            guard state.live == nil else { return false }
            state.live = feed.id
            return true
        }
        guard taken else { return false }
        // Half a second more than the bus's lead: the feed's decoder starts at once and has
        // that much audio buffered when the cut lands, so the live audio never runs dry.
        let at = wallMillis(engine.framesWritten) + 1_500
        let item = PlayoutItem(id: "", path: feed.path, title: title, artist: "", durationMs: 86_400_000, tag: "live")
        engine.cut(atFrame: frame(atWall: at), to: [item])
        state.withLockedValue { $0.armedCut = (at, "live", true) }
        logger.info("station \(station.slug): \(title) is on air")
        return true
    }

    /// The DJ left: the schedule has the air again once their last audio has played.
    func liveEnded(_ feed: LiveFeed) {
        state.withLockedValue { state in
            guard state.live == feed.id else { return }
            state.live = nil
            state.activeOccurrence = nil
            state.armedCut = nil
        }
        logger.info("station \(station.slug): the live source left")
    }

    /// A title the DJ's client sent (Icecast's metadata update, on a connection of its own):
    /// listeners see it from now on, while a DJ is live.
    func liveTitle(_ title: String) {
        guard state.withLockedValue({ $0.live != nil }) else { return }
        let frame = engine.framesWritten
        for mount in titledMounts { mount.setTitle(title, atFrame: frame) }
        state.withLockedValue { state in
            guard var current = state.current, current.item.tag == "live" else { return }
            current.item.title = title
            state.current = current
            state.announce = true
        }
    }
}

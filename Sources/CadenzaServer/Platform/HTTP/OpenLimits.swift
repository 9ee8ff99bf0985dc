import NIOConcurrencyHelpers

/// Caps on long-lived work (event streams, transcodes) per key — a user, a client address —
/// and in total, counted in this process. A `Hold` gives its places back when released or when
/// nothing references it any more, so a response whose body never ran cannot keep one forever.
final class OpenLimits: Sendable {
    struct Cap: Sendable {
        var key: String
        var limit: Int
    }

    final class Hold: Sendable {
        private let done = NIOLockedValueBox(false)
        private let giveBack: @Sendable () -> Void

        init(_ giveBack: @escaping @Sendable () -> Void) { self.giveBack = giveBack }

        func release() {
            let first = done.withLockedValue { done in
                defer { done = true }
                return !done
            }
            if first { giveBack() }
        }

        deinit { release() }
    }

    private let counts = NIOLockedValueBox([String: Int]())

    /// A place under every cap at once, or nil when any of them is full.
    func take(_ caps: [Cap]) -> Hold? {
        let taken = counts.withLockedValue { counts -> Bool in
            guard caps.allSatisfy({ counts[$0.key, default: 0] < $0.limit }) else { return false }
            for cap in caps { counts[cap.key, default: 0] += 1 }
            return true
        }
        guard taken else { return nil }
        let keys = caps.map(\.key)
        return Hold { [counts] in
            counts.withLockedValue { counts in
                for key in keys {
                    let left = counts[key, default: 1] - 1
                    counts[key] = left > 0 ? left : nil
                }
            }
        }
    }

    /// Waits up to `wait` for a place (a short queue in front of a busy pool).
    func take(_ caps: [Cap], waiting wait: Duration) async -> Hold? {
        let deadline = ContinuousClock.now + wait
        while true {
            if let hold = take(caps) { return hold }
            guard ContinuousClock.now < deadline, !Task.isCancelled else { return nil }
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    func count(_ key: String) -> Int { counts.withLockedValue { $0[key, default: 0] } }
}

/// The places of the live event stream (one state per process).
final class EventStreamLimits: Sendable {
    let limits = OpenLimits()
}

/// The places of ffmpeg work: transcodes and artwork resizes.
final class TranscodeLimits: Sendable {
    let limits = OpenLimits()
}

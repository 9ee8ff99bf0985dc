import Foundation
import NIOConcurrencyHelpers
import NIOCore
import Prometheus
import ServiceLifecycle

/// The hub's events for many clients of one topic (a party room's guests): one hub subscription for
/// the process instead of one per client, each event formatted once for all of them, a burst of
/// events handed over together, and each client's waiting bytes written in one go, so a burst of
/// votes costs a guest one write rather than one per vote.
public final class EventFanout: Sendable {
    /// The topic an event belongs to and the bytes its clients receive, or nil for events no
    /// client of this fanout wants.
    public typealias Route = @Sendable (EventRecord) -> (topic: String, bytes: ByteBuffer)?

    private struct Topic {
        var sinks: [ObjectIdentifier: EventSink] = [:]
        /// Bytes held for the next flush, while one is scheduled.
        var pending: ByteBuffer?
        var lastFlush = ContinuousClock.Instant.now - .seconds(1)
        var scheduled = false
    }

    private let route: Route
    /// The fanout's name in `/metrics` (`cadenza_fanout_clients{fanout="…"}`: its open streams).
    private let name: String
    /// At most one flush to a topic's clients per window: an event arriving after a quiet spell
    /// goes out at once, a burst goes out together (200 guests and 2,000 votes a second are 20
    /// writes a second per guest, not 2,000). Each write costs the server more than the vote
    /// does: with one flush per event a debug build managed 33 votes/s to 200 guests, with
    /// 100 ms windows 129.
    private let window: Duration
    private let topics = NIOLockedValueBox([String: Topic]())

    public init(name: String, window: Duration = .milliseconds(50), route: @escaping Route) {
        self.name = name
        self.window = window
        self.route = route
    }

    private func countClients() {
        Metrics.registry.makeGauge(name: "cadenza_fanout_clients", labels: [("fanout", name)]).set(Double(clientCount))
    }

    /// A client's place on `topic`; `leave` when it goes.
    func join(_ topic: String) -> EventSink {
        let sink = EventSink()
        topics.withLockedValue { $0[topic, default: Topic()].sinks[ObjectIdentifier(sink)] = sink }
        countClients()
        return sink
    }

    func leave(_ topic: String, _ sink: EventSink) {
        sink.close()
        topics.withLockedValue { all in
            all[topic]?.sinks.removeValue(forKey: ObjectIdentifier(sink))
            if all[topic]?.sinks.isEmpty == true { all.removeValue(forKey: topic) }
        }
        countClients()
    }

    var clientCount: Int { topics.withLockedValue { $0.values.reduce(0) { $0 + $1.sinks.count } } }

    func deliver(_ event: EventRecord) {
        guard let (topic, bytes) = route(event) else { return }
        let later = topics.withLockedValue { all -> Duration? in
            guard var state = all[topic] else { return nil }
            defer { all[topic] = state }
            if state.pending == nil { state.pending = bytes } else { state.pending?.writeImmutableBuffer(bytes) }
            if state.scheduled { return nil }
            let due = state.lastFlush + window
            let now = ContinuousClock.Instant.now
            guard now < due else {
                Self.flush(&state, at: now)
                return nil
            }
            state.scheduled = true
            return due - now
        }
        guard let later else { return }
        Task {
            try? await Task.sleep(for: later)
            topics.withLockedValue { all in
                guard var state = all[topic] else { return }
                state.scheduled = false
                Self.flush(&state, at: .now)
                all[topic] = state
            }
        }
    }

    /// Hands the held bytes to every client, under the topic's lock: flushes never overtake
    /// one another, so each client sees the events in order.
    private static func flush(_ state: inout Topic, at now: ContinuousClock.Instant) {
        state.lastFlush = now
        guard let bytes = state.pending else { return }
        state.pending = nil
        for sink in state.sinks.values { sink.append(bytes) }
    }

    /// Ends every client's stream (they reconnect, to this node once it is back or to another).
    func closeAll() {
        let all = topics.withLockedValue { all in
            defer { all.removeAll() }
            return all.values.flatMap(\.sinks.values)
        }
        all.forEach { $0.close() }
        countClients()
    }

    /// What feeds the fanout from this process's hub; run it where the hub runs (the api role).
    public func service(hub: EventHub) -> any Service { HubTail(fanout: self, hub: hub) }

    private struct HubTail: Service {
        let fanout: EventFanout
        let hub: EventHub

        func run() async throws {
            let (id, events) = hub.subscribe()
            await cancelWhenGracefulShutdown {
                for await event in events { fanout.deliver(event) }
            }
            hub.unsubscribe(id)
            fanout.closeAll()
        }
    }
}

/// One client's bytes waiting to be written: appended by the fanout, taken all at once by the
/// client's writer. A client that falls a megabyte behind is closed rather than buffered for
/// ever; it reconnects and reads the state afresh.
final class EventSink: Sendable {
    static let maxPendingBytes = 1 << 20

    private struct State {
        var pending: ByteBuffer?
        var waiter: CheckedContinuation<ByteBuffer?, Never>?
        var closed = false
    }

    private let state = NIOLockedValueBox(State())

    func append(_ bytes: ByteBuffer) {
        let waiter = state.withLockedValue { state -> CheckedContinuation<ByteBuffer?, Never>? in
            guard !state.closed else { return nil }
            // A waiting writer has nothing pending: it takes these bytes directly.
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            if state.pending == nil {
                state.pending = bytes
            } else {
                state.pending?.writeImmutableBuffer(bytes)
            }
            if (state.pending?.readableBytes ?? 0) > Self.maxPendingBytes {
                state.closed = true
                state.pending = nil
            }
            return nil
        }
        waiter?.resume(returning: bytes)
    }

    /// Everything appended since the last call, waiting for the next append when there is
    /// nothing; nil once the sink is closed (or the task cancelled).
    func next() async -> ByteBuffer? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<ByteBuffer?, Never>) in
                let ready = state.withLockedValue { state -> ByteBuffer?? in
                    if let pending = state.pending {
                        state.pending = nil
                        return .some(pending)
                    }
                    if state.closed { return .some(nil) }
                    state.waiter = continuation
                    return .none
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            close()
        }
    }

    func close() {
        let waiter = state.withLockedValue { state in
            state.closed = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
    }
}

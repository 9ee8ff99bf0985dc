import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle
import SQLKit
import Vapor

/// One per api process: tails the `events` table once and fans new rows out to this process's
/// live clients. Woken by LISTEN/NOTIFY (PostgreSQL) or the in-process signal (SQLite); the
/// poll interval is the safety net for writes from other processes (a `cadenza` command, a
/// playout process on SQLite), and what that poll finds wakes this process's event consumers
/// too, which then need no quick poll of their own.
public final class EventHub: Service, Sendable {
    private struct State {
        var running = false
        var lastID: Int64 = 0
        var subscribers: [UUID: AsyncStream<EventRecord>.Continuation] = [:]
    }

    private let db: any SQLDatabase
    let registry: EventRegistry
    private let poll: Duration
    private let logger: Logger
    private let state = NIOLockedValueBox(State())

    init(db: any SQLDatabase, registry: EventRegistry, poll: Duration, logger: Logger) {
        self.db = db
        self.registry = registry
        self.poll = poll
        self.logger = logger
    }

    /// Whether this process serves live events (it runs the api role).
    var isRunning: Bool { state.withLockedValue { $0.running } }

    var subscriberCount: Int { state.withLockedValue { $0.subscribers.count } }

    /// The newest event this process has fanned out.
    var latestID: Int64 { state.withLockedValue { $0.lastID } }

    /// Starts at the newest event, so clients see what is written from now on.
    func prepare() async throws {
        let latest = try await EventStore.latestID(on: db)
        state.withLockedValue {
            $0.lastID = latest
            $0.running = true
        }
    }

    public func run() async throws {
        if !isRunning { try await prepare() }
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let generation = WakeSignal.events.generation
                do {
                    // Newer than anything this process wrote: written elsewhere, so no commit
                    // here signalled it and the consumers sleeping here do not know of it yet.
                    // (On SQLite ids follow commit order: older foreign rows were visible to the
                    // reads that the signal of a newer local one caused.)
                    if let last = try await self.drain(), last > EventStore.writtenHere.withLockedValue({ $0 }) {
                        WakeSignal.events.signal()
                    }
                } catch {
                    self.logger.warning("event tail failed", metadata: ["error": .string("\(error)")])
                }
                await WakeSignal.events.wait(since: generation, timeout: self.poll)
            }
        }
        // Live clients end their streams; they reconnect to another node from their position.
        let subscribers = state.withLockedValue { state in
            state.running = false
            defer { state.subscribers.removeAll() }
            return Array(state.subscribers.values)
        }
        subscribers.forEach { $0.finish() }
    }

    /// The last id it found, if it found any.
    @discardableResult
    private func drain() async throws -> Int64? {
        var found: Int64?
        while true {
            let from = state.withLockedValue { $0.lastID }
            let events = try await EventStore.after(from, limit: 500, on: db)
            guard let last = events.last else { return found }
            found = last.id
            let subscribers = state.withLockedValue { state in
                state.lastID = last.id
                return Array(state.subscribers.values)
            }
            for continuation in subscribers {
                for event in events { continuation.yield(event) }
            }
            if events.count < 500 { return found }
        }
    }

    /// A live stream of every new event (unfiltered; the caller filters by what its viewer may see).
    /// Subscribe before reading the backlog, so nothing falls between the two.
    func subscribe() -> (id: UUID, events: AsyncStream<EventRecord>) {
        let id = UUID()
        let (stream, continuation) = AsyncStream<EventRecord>.makeStream(bufferingPolicy: .bufferingNewest(10_000))
        state.withLockedValue { $0.subscribers[id] = continuation }
        continuation.onTermination = { [weak self] _ in
            self?.state.withLockedValue { _ = $0.subscribers.removeValue(forKey: id) }
        }
        return (id, stream)
    }

    func unsubscribe(_ id: UUID) {
        state.withLockedValue { $0.subscribers.removeValue(forKey: id) }?.finish()
    }
}

/// The events one client receives: its backlog after `lastEventID`, then live events, filtered
/// to what the viewer may see and never repeating an id.
struct EventFeed: AsyncSequence, Sendable {
    typealias Element = EventRecord
    let hub: EventHub
    let db: any SQLDatabase
    let viewer: EventViewer
    let lastEventID: Int64?

    struct AsyncIterator: AsyncIteratorProtocol {
        let feed: EventFeed
        var live: AsyncStream<EventRecord>.AsyncIterator
        let subscription: UUID
        var backlog: [EventRecord] = []
        var cursor: Int64
        var backlogDone: Bool
        /// The viewer's view of each feature audience, loaded on first use.
        var audiences: [EventVisibility: any EventAudienceFilter]?

        mutating func next() async throws -> EventRecord? {
            if audiences == nil {
                var loaded: [EventVisibility: any EventAudienceFilter] = [:]
                for audience in feed.hub.registry.audiences {
                    loaded[audience.visibility] = try await audience.filter(for: feed.viewer, on: feed.db)
                }
                audiences = loaded
            }
            while true {
                if !backlogDone {
                    if backlog.isEmpty {
                        backlog = try await EventStore.after(cursor, limit: 500, on: feed.db)
                        if backlog.isEmpty { backlogDone = true; continue }
                    }
                    let event = backlog.removeFirst()
                    cursor = event.id
                    if visible(event) { return event }
                    continue
                }
                guard let event = await live.next() else { return nil }
                if event.id <= cursor { continue }
                cursor = event.id
                if visible(event) { return event }
            }
        }

        private mutating func visible(_ event: EventRecord) -> Bool {
            if var filters = audiences {
                for key in filters.keys { filters[key]?.observe(event) }
                audiences = filters
            }
            return event.isVisible(to: feed.viewer, audiences: audiences ?? [:])
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        let (id, stream) = hub.subscribe()
        return AsyncIterator(
            feed: self, live: stream.makeAsyncIterator(), subscription: id,
            cursor: lastEventID ?? 0, backlogDone: lastEventID == nil)
    }
}

import NIOConcurrencyHelpers
import SQLKit
import Vapor

/// One per api process: tails the `events` table once and fans new rows out to this process's
/// live clients. Woken by LISTEN/NOTIFY (PostgreSQL) or the in-process signal (SQLite); the
/// poll interval is the safety net for writes from other processes.
final class EventHub: Sendable {
    private struct State {
        var lastID: Int64 = 0
        var subscribers: [UUID: AsyncStream<EventRecord>.Continuation] = [:]
    }

    private let app: Application
    private let poll: TimeInterval
    private let state = NIOLockedValueBox(State())
    private let runner = NIOLockedValueBox<Task<Void, Never>?>(nil)

    init(app: Application, poll: TimeInterval) {
        self.app = app
        self.poll = poll
    }

    var subscriberCount: Int { state.withLockedValue { $0.subscribers.count } }

    /// The newest event this process has fanned out.
    var latestID: Int64 { state.withLockedValue { $0.lastID } }

    func start() async throws {
        let latest = try await EventStore.latestID(on: app.sql)
        state.withLockedValue { $0.lastID = latest }
        let task = Task {
            while !Task.isCancelled {
                let generation = app.eventSignal.generation
                do { try await drain() } catch {
                    app.logger.warning("event tail failed", metadata: ["error": .string("\(error)")])
                }
                await app.eventSignal.wait(since: generation, timeout: .milliseconds(Int64(poll * 1000)))
            }
        }
        runner.withLockedValue { $0 = task }
    }

    func stop() async {
        if let task = runner.withLockedValue({ $0 }) {
            task.cancel()
            await task.value
        }
        let subscribers = state.withLockedValue { state in
            defer { state.subscribers.removeAll() }
            return Array(state.subscribers.values)
        }
        subscribers.forEach { $0.finish() }
    }

    private func drain() async throws {
        while true {
            let from = state.withLockedValue { $0.lastID }
            let events = try await EventStore.after(from, limit: 500, on: app.sql)
            guard let last = events.last else { return }
            let subscribers = state.withLockedValue { state in
                state.lastID = last.id
                return Array(state.subscribers.values)
            }
            for continuation in subscribers {
                for event in events { continuation.yield(event) }
            }
            if events.count < 500 { return }
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
    let viewer: Principal
    let lastEventID: Int64?

    struct AsyncIterator: AsyncIteratorProtocol {
        let feed: EventFeed
        var live: AsyncStream<EventRecord>.AsyncIterator
        let subscription: UUID
        var backlog: [EventRecord] = []
        var cursor: Int64
        var backlogDone: Bool
        /// Whom the viewer follows, loaded on first use and kept current by the viewer's own
        /// follow events, for events shown to followers.
        var following: Set<Int64>?

        mutating func next() async throws -> EventRecord? {
            if following == nil { following = try await Follows.followees(of: feed.viewer.userID, on: feed.db) }
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
            if event.actorID == feed.viewer.userID, let followee = event.subjectID.flatMap(Int64.init) {
                if event.type == Follows.followedEvent { following?.insert(followee) }
                if event.type == Follows.unfollowedEvent { following?.remove(followee) }
            }
            return event.isVisible(to: feed.viewer, following: following ?? [])
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        let (id, stream) = hub.subscribe()
        return AsyncIterator(feed: self, live: stream.makeAsyncIterator(), subscription: id,
                             cursor: lastEventID ?? 0, backlogDone: lastEventID == nil)
    }
}

import Fluent
import Foundation
import NIOConcurrencyHelpers
import SQLKit

/// Votes that arrive together for one room are written together: one transaction with the
/// room locked, a few statements for the whole batch, and one event carrying each touched
/// entry's new score. While a batch is being written the next one gathers, so a party voting
/// at once costs a few transactions a second, not one per vote; a lone vote is written at once.
final class RoomVotes: Sendable {
    private struct Waiting {
        var ballot: RoomQueue.Ballot
        var reply: CheckedContinuation<RoomQueue.Cast, any Error>
    }

    /// A room's votes not yet written; a room is listed only while its batches are being written.
    private let waiting = NIOLockedValueBox<[Int64: [Waiting]]>([:])
    static let maxBatch = 500

    /// Adds `ballot` to the room's next batch; returns the entry and the person's vote once that
    /// batch is committed.
    func cast(_ ballot: RoomQueue.Ballot, roomID: Int64, on db: any Database) async throws -> RoomQueue.Cast {
        try await withCheckedThrowingContinuation { reply in
            let first = waiting.withLockedValue { rooms -> Bool in
                let idle = rooms[roomID] == nil
                rooms[roomID, default: []].append(Waiting(ballot: ballot, reply: reply))
                return idle
            }
            // Detached: the drain takes no task-locals from the first voter's request (a write
            // gate held there would let it past the gate).
            if first { Task.detached { await self.drain(roomID, on: db) } }
        }
    }

    /// Writes the room's batches until none is waiting.
    private func drain(_ roomID: Int64, on db: any Database) async {
        while true {
            let batch = waiting.withLockedValue { rooms -> [Waiting] in
                let all = rooms[roomID] ?? []
                let taken = Array(all.prefix(Self.maxBatch))
                // Emptied only when nothing was left: the next vote then starts a new drain.
                rooms[roomID] = taken.isEmpty ? nil : Array(all.dropFirst(taken.count))
                return taken
            }
            if batch.isEmpty { return }
            do {
                let outcomes = try await db.writeTransaction { tx in try await Self.write(batch.map(\.ballot), roomID: roomID, on: tx.sql) }
                for (waiting, outcome) in zip(batch, outcomes) { waiting.reply.resume(with: outcome.mapError { $0 as any Error }) }
            } catch {
                for waiting in batch { waiting.reply.resume(throwing: error) }
            }
        }
    }

    private static func write(
        _ ballots: [RoomQueue.Ballot], roomID: Int64, on db: any SQLDatabase
    ) async throws -> [Result<RoomQueue.Cast, RoomQueue.Refusal>] {
        guard let room = try await Rooms.lock(roomID, on: db) else {
            return ballots.map { _ in .failure(RoomQueue.Refusal(status: 404, message: "No such room.")) }
        }
        if room.closed { return ballots.map { _ in .failure(RoomQueue.Refusal(status: 409, message: "The room is closed.")) } }
        let (outcomes, changed) = try await RoomQueue.cast(ballots, room: room, now: Clock.nowMillis(), on: db)
        if !changed.isEmpty {
            try await EventStore.append(
                JukeboxEvents.changed,
                payload: .init(
                    slug: room.slug, reason: "votes", votes: changed.map { .init(entryId: String($0.id), score: $0.score, state: $0.state) }),
                actorID: nil, subjectID: room.slug, audienceUserID: room.ownerID, on: db)
        }
        return outcomes
    }
}

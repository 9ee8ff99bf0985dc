import Foundation
import SQLKit

/// One notification on its way to one email address or webhook.
struct Delivery: Sendable {
    var id: Int64
    var destinationID: Int64
    var userID: Int64
    var eventID: Int64
    var type: String
    var severity: String
    var title: String
    var body: String
    var link: String?
    var ruleIDs: [Int64]
    var status: String
    var batchID: Int64?
    var attempts: Int
    var expiresAt: Int64?
    var createdAt: Int64
}

/// Queries over `notification_deliveries`. A delivery is `held` (waiting for a digest, a quiet
/// hour's end or the rate limit), `queued` (in a batch a job sends), then `sent`, `failed` or
/// `expired`. Rows sent as one message share a batch id: the first row's id, which is also
/// the message's `webhook-id`, so a receiver sees the same id on every retry.
enum Deliveries {
    static let deliverJob = "notifications.deliver"

    /// Adds a delivery once per destination and event; queued (and its job queued) unless `held`.
    @discardableResult
    static func add(
        destinationID: Int64, userID: Int64, event: EventRecord, notice: EventNotice, severity: EventSeverity, ruleIDs: [Int64],
        expiresAt: Int64?, held: Bool, holdUntil: Int64?, on db: any SQLDatabase
    ) async throws -> Int64? {
        guard
            let id = try await db.raw(
                """
                INSERT INTO notification_deliveries (destination_id, user_id, event_id, type, severity, title, body, link, rule_ids,
                    status, attempts, next_attempt_at, expires_at, created_at)
                VALUES (\(bind: destinationID), \(bind: userID), \(bind: event.id), \(bind: event.type), \(bind: severity.rawValue),
                    \(bind: notice.title), \(bind: notice.body), \(bind: notice.link), \(bind: ruleIDs.map(String.init).joined(separator: ",")),
                    \(bind: held ? "held" : "queued"), 0, \(bind: holdUntil), \(bind: expiresAt), \(bind: Clock.nowMillis()))
                ON CONFLICT (destination_id, event_id) DO NOTHING RETURNING id
                """
            ).first()?.decode(column: "id", as: Int64.self)
        else { return nil }
        if !held {
            try await db.raw("UPDATE notification_deliveries SET batch_id = id WHERE id = \(bind: id)").run()
            try await enqueue(batchID: id, at: nil, on: db)
        }
        return id
    }

    static func enqueue(batchID: Int64, at date: Date?, on db: any SQLDatabase) async throws {
        try await JobQueue.enqueue(
            .init(kind: deliverJob, payload: DeliverPayload(batchId: batchID), priority: 5, runAt: date, maxAttempts: 10), on: db)
    }

    struct DeliverPayload: Codable, Sendable {
        var batchId: Int64
    }

    static func batch(_ batchID: Int64, on db: any SQLDatabase) async throws -> [Delivery] {
        try await db.raw(
            "SELECT * FROM notification_deliveries WHERE batch_id = \(bind: batchID) AND status = 'queued' ORDER BY id"
        ).all().map(delivery(from:))
    }

    /// Held deliveries whose own hold (a quiet hour, the rate limit) is over, oldest first.
    static func held(destinationID: Int64, readyAt now: Int64, limit: Int, on db: any SQLDatabase) async throws -> [Delivery] {
        try await db.raw(
            """
            SELECT * FROM notification_deliveries WHERE destination_id = \(bind: destinationID) AND status = 'held'
                AND (next_attempt_at IS NULL OR next_attempt_at <= \(bind: now))
            ORDER BY id LIMIT \(bind: limit)
            """
        ).all().map(delivery(from:))
    }

    private static func delivery(from row: any SQLRow) throws -> Delivery {
        Delivery(
            id: try row.decode(column: "id", as: Int64.self),
            destinationID: try row.decode(column: "destination_id", as: Int64.self),
            userID: try row.decode(column: "user_id", as: Int64.self),
            eventID: try row.decode(column: "event_id", as: Int64.self),
            type: try row.decode(column: "type", as: String.self),
            severity: try row.decode(column: "severity", as: String.self),
            title: try row.decode(column: "title", as: String.self),
            body: try row.decode(column: "body", as: String.self),
            link: try row.decode(column: "link", as: String?.self),
            ruleIDs: try row.decode(column: "rule_ids", as: String.self).split(separator: ",").compactMap { Int64($0) },
            status: try row.decode(column: "status", as: String.self),
            batchID: try row.decode(column: "batch_id", as: Int64?.self),
            attempts: try row.decode(column: "attempts", as: Int.self),
            expiresAt: try row.decode(column: "expires_at", as: Int64?.self),
            createdAt: try row.decode(column: "created_at", as: Int64.self))
    }

    /// Messages that went to `destinationID` since `since` (batches, not rows), for its rate limit.
    static func messagesSent(destinationID: Int64, since: Int64, on db: any SQLDatabase) async throws -> Int {
        try await db.raw(
            """
            SELECT COUNT(DISTINCT batch_id) AS n FROM notification_deliveries
            WHERE destination_id = \(bind: destinationID) AND batch_id IS NOT NULL AND created_at > \(bind: since)
            """
        ).first()?.decode(column: "n", as: Int.self) ?? 0
    }

    /// Destinations with held deliveries whose hold is over: how many, and since when.
    static func waiting(readyAt now: Int64, on db: any SQLDatabase) async throws -> [(destinationID: Int64, count: Int, oldest: Int64)] {
        try await db.raw(
            """
            SELECT destination_id, COUNT(*) AS n, MIN(created_at) AS oldest FROM notification_deliveries
            WHERE status = 'held' AND (next_attempt_at IS NULL OR next_attempt_at <= \(bind: now))
            GROUP BY destination_id
            """
        ).all().map { row in
            (
                try row.decode(column: "destination_id", as: Int64.self), try row.decode(column: "n", as: Int.self),
                try row.decode(column: "oldest", as: Int64.self)
            )
        }
    }

    /// Drops what was sent, failed or expired long ago.
    static func prune(before: Int64, on db: any SQLDatabase) async throws {
        try await db.raw(
            "DELETE FROM notification_deliveries WHERE status IN ('sent', 'failed', 'expired') AND created_at < \(bind: before)"
        ).run()
    }

    /// Makes held rows one batch (the first row's id) and queues its job.
    static func startBatch(_ ids: [Int64], on db: any SQLDatabase) async throws -> Int64? {
        guard let first = ids.min() else { return nil }
        try await db.raw(
            "UPDATE notification_deliveries SET status = 'queued', batch_id = \(bind: first) WHERE id IN \(SQLBindGroup(ids)) AND status = 'held'"
        ).run()
        try await enqueue(batchID: first, at: nil, on: db)
        return first
    }

    static func finish(batchID: Int64, status: String, error: String?, on db: any SQLDatabase) async throws {
        try await db.raw(
            """
            UPDATE notification_deliveries SET status = \(bind: status), last_error = \(bind: error.map { String($0.prefix(500)) }),
                sent_at = \(bind: status == "sent" ? Clock.nowMillis() : nil), attempts = attempts + 1
            WHERE batch_id = \(bind: batchID) AND status = 'queued'
            """
        ).run()
    }

    /// Records a failed attempt; the caller queues the retry.
    static func failedAttempt(batchID: Int64, nextAttemptAt: Int64, error: String, on db: any SQLDatabase) async throws {
        try await db.raw(
            """
            UPDATE notification_deliveries SET attempts = attempts + 1, next_attempt_at = \(bind: nextAttemptAt),
                last_error = \(bind: String(error.prefix(500)))
            WHERE batch_id = \(bind: batchID) AND status = 'queued'
            """
        ).run()
    }

    /// Expires what is too old to tell (held ephemeral rows past their time).
    static func expireHeld(now: Int64, on db: any SQLDatabase) async throws {
        try await db.raw(
            "UPDATE notification_deliveries SET status = 'expired' WHERE status = 'held' AND expires_at IS NOT NULL AND expires_at < \(bind: now)"
        ).run()
    }

    /// Counts by status for one user's destinations, for the settings page.
    static func counts(userID: Int64, on db: any SQLDatabase) async throws -> [Int64: [String: Int]] {
        var result: [Int64: [String: Int]] = [:]
        for row in try await db.raw(
            "SELECT destination_id, status, COUNT(*) AS n FROM notification_deliveries WHERE user_id = \(bind: userID) GROUP BY destination_id, status"
        ).all() {
            result[try row.decode(column: "destination_id", as: Int64.self), default: [:]][try row.decode(column: "status", as: String.self)] =
                try row.decode(column: "n", as: Int.self)
        }
        return result
    }
}

import CadenzaFormats
import Fluent
import Foundation
import NIOHTTP1
import SQLKit

/// Sending activities: one row per activity and inbox (the shared inbox when the peer has one,
/// so a peer with many followers gets each activity once), each worked by a durable job that
/// retries with backoff and gives up after the configured number of tries.
enum FederationDeliveries {
    static let deliverJob = "federation.deliver"

    struct Payload: Codable, Sendable {
        var deliveryId: Int64
    }

    struct Row: Sendable {
        var id: Int64
        var activityID: Int64
        var inbox: String
        var authority: String
        var status: String
        var attempts: Int
    }

    /// Records `activity` as sent by us and queues it for each inbox (deduplicated). Call inside
    /// the transaction that makes the change the activity announces.
    @discardableResult
    static func send(_ activity: JSONValue, to inboxes: [String], settings: FederationSettings, on db: any SQLDatabase) async throws -> Int64 {
        let activityID = try await Activities.record(outbound: activity, on: db)
        var seen = Set<String>()
        for inbox in inboxes where seen.insert(inbox).inserted {
            guard let authority = FederationURLs.authority(of: inbox) else { continue }
            let now = Clock.nowMillis()
            guard
                let id = try await db.raw(
                    """
                    INSERT INTO federation_deliveries (activity_id, inbox, authority, status, attempts, created_at, updated_at)
                    VALUES (\(bind: activityID), \(bind: inbox), \(bind: authority), 'queued', 0, \(bind: now), \(bind: now))
                    ON CONFLICT (activity_id, inbox) DO NOTHING RETURNING id
                    """
                ).first()?.decode(column: "id", as: Int64.self)
            else { continue }
            let job = try JobQueue.NewJob(
                kind: deliverJob, payload: Payload(deliveryId: id), priority: 4, maxAttempts: settings.maxAttempts,
                uniqueKey: "federation:delivery:\(id)")
            _ = try await JobQueue.enqueue(job, on: db)
        }
        return activityID
    }

    static func find(_ id: Int64, on db: any SQLDatabase) async throws -> Row? {
        guard let row = try await db.raw("SELECT * FROM federation_deliveries WHERE id = \(bind: id)").first() else { return nil }
        return Row(
            id: id, activityID: try row.decode(column: "activity_id", as: Int64.self), inbox: try row.decode(column: "inbox", as: String.self),
            authority: try row.decode(column: "authority", as: String.self), status: try row.decode(column: "status", as: String.self),
            attempts: try row.decode(column: "attempts", as: Int.self))
    }

    static func finish(_ id: Int64, status: String, attempts: Int, error: String?, on db: any SQLDatabase) async throws {
        try await db.raw(
            """
            UPDATE federation_deliveries SET status = \(bind: status), attempts = \(bind: attempts),
                last_error = \(bind: error.map { String($0.prefix(500)) }), updated_at = \(bind: Clock.nowMillis())
            WHERE id = \(bind: id)
            """
        ).run()
    }

    /// Deliveries whose job is gone without finishing them (a worker killed on the last try, an
    /// administrator's cancel) are failed, so no count says "waiting" forever.
    static func failAbandoned(on db: any SQLDatabase) async throws {
        try await db.raw(
            """
            UPDATE federation_deliveries SET status = 'failed', last_error = 'given up (its job ended)', updated_at = \(bind: Clock.nowMillis())
            WHERE status = 'queued' AND updated_at < \(bind: Clock.nowMillis() - 3_600_000) AND NOT EXISTS (
                SELECT 1 FROM jobs j WHERE j.kind = \(bind: deliverJob) AND j.state IN ('queued', 'running')
                AND j.unique_key = 'federation:delivery:' || CAST(federation_deliveries.id AS TEXT))
            """
        ).run()
    }

    /// Per domain: how many deliveries were sent, are waiting, failed or were dropped.
    static func statistics(on db: any SQLDatabase) async throws -> [String: [String: Int]] {
        var result: [String: [String: Int]] = [:]
        for row in try await db.raw("SELECT authority, status, COUNT(*) AS n FROM federation_deliveries GROUP BY authority, status").all() {
            let authority = try row.decode(column: "authority", as: String.self)
            result[authority, default: [:]][try row.decode(column: "status", as: String.self)] = try row.decode(column: "n", as: Int.self)
        }
        return result
    }

    // MARK: - The job

    static func register(_ jobs: JobRegistry, settings: FederationSettings) {
        jobs.register(deliverJob, backoff: Backoff(base: TimeInterval(settings.retrySeconds), cap: 6 * 3600)) { try await deliver($0) }
    }

    static func deliver(_ context: JobContext) async throws {
        guard let payload = try? context.job.decodePayload(Payload.self) else { throw PermanentJobError("not a delivery payload") }
        let db = context.db
        guard let delivery = try await find(payload.deliveryId, on: db), delivery.status == "queued",
            let activity = try await Activities.find(id: delivery.activityID, on: db)
        else { return }
        let client = try FederationClient(services: context.services)
        let attempt = context.job.attempts
        let blockedAccount =
            try await db.raw(
                "SELECT b.id FROM federation_account_blocks b JOIN remote_actors a ON a.uri = b.actor_uri WHERE a.inbox = \(bind: delivery.inbox)"
            ).first() != nil
        guard !blockedAccount else {
            try await finish(delivery.id, status: "dropped", attempts: attempt, error: "that account is blocked", on: db)
            return
        }
        guard try await DomainPolicies.federates(with: delivery.authority, allowListMode: client.federation.allowListMode, on: db) else {
            try await finish(delivery.id, status: "dropped", attempts: attempt, error: "\(delivery.authority) is blocked or not allowed", on: db)
            return
        }
        let signer = try await signer(forActor: activity.actorURI, client: client, on: context.database)
        do {
            let response = try await client.post(delivery.inbox, body: Array(activity.payload.utf8), as: signer, on: db)
            switch response.status {
            case 200..<300:
                try await finish(delivery.id, status: "sent", attempts: attempt, error: nil, on: db)
                return
            case 400..<500 where response.status != 408 && response.status != 429:
                // The peer refused this activity (a block, a bad signature): trying again cannot help.
                let error = "the inbox answered HTTP \(response.status): \(String(decoding: response.body.prefix(200), as: UTF8.self))"
                try await finish(delivery.id, status: "failed", attempts: attempt, error: error, on: db)
                throw PermanentJobError(error)
            default:
                throw FederationError.transient("the inbox answered HTTP \(response.status)")
            }
        } catch let error as FederationError where !error.permanent {
            let last = attempt >= context.job.maxAttempts
            try await finish(delivery.id, status: last ? "failed" : "queued", attempts: attempt, error: error.description, on: db)
            throw error
        } catch let error as FederationError {
            try await finish(delivery.id, status: "failed", attempts: attempt, error: error.description, on: db)
            throw PermanentJobError(error.description)
        } catch let error as PermanentJobError {
            throw error
        } catch {
            // Anything else (the database, a key): retried like a network error, given up on at the end.
            if attempt >= context.job.maxAttempts {
                try? await finish(delivery.id, status: "failed", attempts: attempt, error: "\(error)", on: db)
            }
            throw error
        }
    }

    /// The key an activity is signed with: its local actor's.
    static func signer(
        forActor actorURI: String, client: FederationClient, on database: any Database
    ) async throws -> (keyID: String, key: ActorKeys.KeyPair) {
        if case .user(let username) = client.urls.local(actorURI), let user = try await User.find(username: username, on: database),
            let userID = user.id
        {
            return try await client.signer(userID: userID, username: user.username, on: database.sql)
        }
        return try await client.signer(userID: nil, username: nil, on: database.sql)
    }
}

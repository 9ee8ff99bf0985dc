import SQLKit
import Vapor

/// One row of the `jobs` table.
public struct JobRecord: Sendable, Codable {
    public enum State: String, Sendable, Codable, CaseIterable {
        case queued, running, succeeded, failed, cancelled
    }

    public var id: Int64
    public var kind: String
    public var payload: String
    public var priority: Int
    public var runAt: Int64
    public var attempts: Int
    public var maxAttempts: Int
    public var state: State
    public var leaseOwner: String?
    public var leaseExpiresAt: Int64?
    public var lastError: String?
    public var uniqueKey: String?
    public var createdAt: Int64
    public var updatedAt: Int64
    public var finishedAt: Int64?
    /// The request that queued it (`TraceContext`).
    public var traceID: String?
    /// The span that queued it (W3C traceparent): the parent of the job's span.
    public var traceParent: String?

    init(row: any SQLRow) throws {
        id = try row.decode(column: "id", as: Int64.self)
        kind = try row.decode(column: "kind", as: String.self)
        payload = try row.decode(column: "payload", as: String.self)
        priority = try row.decode(column: "priority", as: Int.self)
        runAt = try row.decode(column: "run_at", as: Int64.self)
        attempts = try row.decode(column: "attempts", as: Int.self)
        maxAttempts = try row.decode(column: "max_attempts", as: Int.self)
        state = State(rawValue: try row.decode(column: "state", as: String.self)) ?? .failed
        leaseOwner = try row.decode(column: "lease_owner", as: String?.self)
        leaseExpiresAt = try row.decode(column: "lease_expires_at", as: Int64?.self)
        lastError = try row.decode(column: "last_error", as: String?.self)
        uniqueKey = try row.decode(column: "unique_key", as: String?.self)
        createdAt = try row.decode(column: "created_at", as: Int64.self)
        updatedAt = try row.decode(column: "updated_at", as: Int64.self)
        finishedAt = try row.decode(column: "finished_at", as: Int64?.self)
        traceID = try? row.decode(column: "trace_id", as: String?.self)
        traceParent = try? row.decode(column: "trace_parent", as: String?.self)
    }

    /// Decodes the JSON payload into the handler's own type.
    public func decodePayload<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(payload.utf8))
    }
}

/// The API shape of a job.
struct JobDTO: Content {
    var id: String
    var kind: String
    var state: JobRecord.State
    var payload: JSONValue
    var priority: Int
    var attempts: Int
    var maxAttempts: Int
    var runAt: Date
    var lastError: String?
    var uniqueKey: String?
    var createdAt: Date
    var finishedAt: Date?
    var traceId: String?
}

extension JobRecord {
    func toDTO() -> JobDTO {
        JobDTO(
            id: String(id), kind: kind, state: state,
            payload: (try? JSONDecoder().decode(JSONValue.self, from: Data(payload.utf8))) ?? .null,
            priority: priority, attempts: attempts, maxAttempts: maxAttempts, runAt: Clock.date(runAt),
            lastError: lastError, uniqueKey: uniqueKey, createdAt: Clock.date(createdAt),
            finishedAt: finishedAt.map(Clock.date), traceId: traceID)
    }
}

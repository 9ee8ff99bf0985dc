import Fluent
import SQLKit
import Vapor

/// The job queue for administrators: inspect, retry, cancel, and ping the workers.
enum JobsController {
    struct PingRequest: Content {
        var count: Int?
        var delayMillis: Int?
        var note: String?
    }

    struct PingResponse: Content {
        var jobIds: [String]
    }

    @Sendable static func list(req: Request) async throws -> [JobDTO] {
        _ = try req.requireAdmin()
        var state: JobRecord.State?
        if let raw = req.query[String.self, at: "state"] {
            guard let parsed = JobRecord.State(rawValue: raw) else {
                throw APIError.badRequest("state must be one of \(JobRecord.State.allCases.map(\.rawValue).joined(separator: ", ")).")
            }
            state = parsed
        }
        let limit = try req.boundedQueryInt("limit", default: 50, range: 1...500)
        let before = try req.optionalQueryInt64("before")
        let kind = req.query[String.self, at: "kind"]
        return try await JobQueue.list(state: state, kind: kind, beforeID: before, limit: limit, on: req.sql).map { $0.toDTO() }
    }

    @Sendable static func show(req: Request) async throws -> JobDTO {
        _ = try req.requireAdmin()
        let id = try req.int64Parameter("id", what: "Job")
        guard let job = try await JobQueue.find(id: id, on: req.sql) else { throw APIError.notFound("Job") }
        return job.toDTO()
    }

    @Sendable static func retry(req: Request) async throws -> JobDTO {
        try await change(req) { id, db in try await JobQueue.retry(id: id, on: db) }
    }

    @Sendable static func cancel(req: Request) async throws -> JobDTO {
        try await change(req) { id, db in try await JobQueue.cancel(id: id, on: db) }
    }

    private static func change(_ req: Request, _ body: (Int64, any SQLDatabase) async throws -> Void) async throws -> JobDTO {
        _ = try req.requireAdmin()
        let id = try req.int64Parameter("id", what: "Job")
        do {
            try await body(id, req.sql)
        } catch let error as JobQueue.ChangeError {
            switch error {
            case .notFound: throw APIError.notFound("Job")
            case .wrongState(let state): throw APIError.conflict("The job is \(state.rawValue).")
            case .duplicateLive: throw APIError.conflict("An identical job is already queued or running.")
            }
        }
        guard let job = try await JobQueue.find(id: id, on: req.sql) else { throw APIError.notFound("Job") }
        return job.toDTO()
    }

    @Sendable static func ping(req: Request) async throws -> Response {
        _ = try req.requireAdmin()
        let body = try await req.decodeJSON(PingRequest.self)
        let count = body.count ?? 1
        guard (1...10_000).contains(count) else { throw APIError.unprocessable("count must be between 1 and 10000.") }
        if let delay = body.delayMillis, !(0...600_000).contains(delay) {
            throw APIError.unprocessable("delayMillis must be between 0 and 600000.")
        }
        let payload = SystemJobs.PingPayload(delayMillis: body.delayMillis, note: body.note.map { String($0.prefix(200)) })
        let job = try JobQueue.NewJob(kind: SystemJobs.ping, payload: payload)
        let ids = try await req.db.writeTransaction { tx in
            try await JobQueue.enqueue(copies: count, of: job, on: tx.sql).map(String.init)
        }
        let response = Response(status: .accepted)
        try response.content.encode(PingResponse(jobIds: ids))
        return response
    }
}

extension Request {
    func boundedQueryInt(_ name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let raw = query[String.self, at: name] else { return value }
        guard let parsed = Int(raw), range.contains(parsed) else {
            throw APIError.badRequest("\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound).")
        }
        return parsed
    }

    func optionalQueryInt64(_ name: String) throws -> Int64? {
        guard let raw = query[String.self, at: name] else { return nil }
        guard let parsed = Int64(raw) else { throw APIError.badRequest("\(name) must be a whole number.") }
        return parsed
    }
}

import Fluent
import NIOConcurrencyHelpers
import SQLKit
import Vapor

/// What a handler gets: the claimed job and the means to do its work (the database, the
/// services and settings), not the application.
public struct JobContext: Sendable {
    public var job: JobRecord
    public var owner: String
    public var database: any Database
    public var services: AppServices
    public var logger: Logger

    public var db: any SQLDatabase { database.sql }
    public var settings: Settings { services.settings }

    /// Marks the job done inside the handler's own transaction, making the handler's writes and
    /// the completion one atomic step: a crash can then never apply the work twice.
    public func complete(on db: any SQLDatabase) async throws -> Bool {
        try await JobQueue.complete(id: job.id, owner: owner, on: db)
    }
}

/// Kinds of job this process knows how to run.
public final class JobRegistry: Sendable {
    public struct Entry: Sendable {
        public var backoff: Backoff
        public var handler: @Sendable (JobContext) async throws -> Void
    }

    private let entries = NIOLockedValueBox([String: Entry]())

    public init() {}

    public func register(_ kind: String, backoff: Backoff = Backoff(), handler: @escaping @Sendable (JobContext) async throws -> Void) {
        entries.withLockedValue { $0[kind] = Entry(backoff: backoff, handler: handler) }
    }

    func entry(for kind: String) -> Entry? { entries.withLockedValue { $0[kind] } }
    var kinds: [String] { entries.withLockedValue { Array($0.keys).sorted() } }
}

/// Thrown by a handler for a failure that retrying cannot fix (bad payload): the job is parked
/// as failed at once.
public struct PermanentJobError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

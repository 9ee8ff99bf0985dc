import Foundation
import SQLKit

/// Removes a mirrored library after its follow ended, in a job: a large one takes a while, and
/// the request (or the inbox job) that ended the follow answers at once.
enum MirrorRemoval {
    static let job = "federation.drop-mirror"

    struct Payload: Codable, Sendable {
        var libraryId: Int64
    }

    static func register(_ jobs: JobRegistry) {
        jobs.register(job) { context in
            guard let payload = try? context.job.decodePayload(Payload.self) else { throw PermanentJobError("not a mirror payload") }
            try await RemoteCatalog.deleteLibrary(payload.libraryId, on: context.database)
        }
    }

    static func enqueue(libraryID: Int64, on db: any SQLDatabase) async throws {
        let job = try JobQueue.NewJob(
            kind: job, payload: Payload(libraryId: libraryID), priority: 5, maxAttempts: 5, uniqueKey: "federation:drop-mirror:\(libraryID)")
        _ = try await JobQueue.enqueue(job, on: db)
    }

    /// The mirrors of `objectURI` a user has (one, unless something went wrong).
    static func enqueue(objectURI: String, ownerID: Int64, on db: any SQLDatabase) async throws {
        for mirror in try await RemoteCatalog.mirrors(of: objectURI, on: db) where mirror.ownerID == ownerID {
            try await enqueue(libraryID: mirror.id, on: db)
        }
    }
}

import CadenzaFormats
import Fluent
import Foundation
import SQLKit

/// Reads a followed library's pages into the follower's mirror (after the follow is accepted,
/// and again on request): signed as the follower, page by page, each page in its own
/// transaction, so a crawl cut short resumes where the mirror stands.
enum LibraryCrawler {
    static let crawlJob = "federation.crawl"
    static let maxPages = 5000
    /// No followed library fills a mirror past this many tracks.
    static let maxItems = 200_000

    struct Payload: Codable, Sendable {
        var followId: Int64
    }

    static func register(_ jobs: JobRegistry) {
        jobs.register(crawlJob, backoff: Backoff(base: 30, cap: 3600)) { try await crawl($0) }
    }

    static func enqueue(followID: Int64, on db: any SQLDatabase) async throws {
        let job = try JobQueue.NewJob(
            kind: crawlJob, payload: Payload(followId: followID), priority: 5, maxAttempts: 5, uniqueKey: "federation:crawl:\(followID)")
        _ = try await JobQueue.enqueue(job, on: db)
    }

    static func crawl(_ context: JobContext) async throws {
        guard let payload = try? context.job.decodePayload(Payload.self) else { throw PermanentJobError("not a crawl payload") }
        let db = context.db
        guard let follow = try await FederationFollows.find(id: payload.followId, on: db), follow.direction == .out,
            follow.objectKind == "library", follow.status == .approved, let userID = follow.localUserID,
            let user = try await User.find(userID, on: context.database),
            let library = try await RemoteCatalog.mirrors(of: follow.objectURI, on: db).first(where: { $0.ownerID == userID })
        else { return }
        let client = try FederationClient(services: context.services)
        let signer = try await client.signer(userID: userID, username: user.username, on: db)
        guard let authority = FederationURLs.authority(of: follow.objectURI) else { return }
        let document = try await fetch(follow.objectURI, client: client, signer: signer, on: db)
        var next = document["first"]?.idValue
        var pages = 0
        var seen = Set<String>()
        var taken = 0
        while let page = next, pages < maxPages, taken < maxItems, FederationURLs.authority(of: page) == authority, seen.insert(page).inserted {
            pages += 1
            let value = try await fetch(page, client: client, signer: signer, on: db)
            let listed = ((value["orderedItems"] ?? value["items"]) ?? .null).array.prefix(1000)
            let audios = listed.compactMap { item -> RemoteAudio? in
                // A channel-style page lists Create{Audio}; a library page lists Audio.
                let object = item.typeName == "Create" ? (item["object"] ?? .null) : item
                guard let (audio, from) = RemoteAudioParser.parse(object, authority: authority), from == nil || from == follow.objectURI else {
                    return nil
                }
                return audio
            }
            taken += audios.count
            let settings = context.settings
            try await context.database.writeTransaction { tx in
                try await RemoteCatalog.upsert(audios, into: [library], settings: settings, on: tx.sql)
            }
            next = value["next"]?.idValue
        }
    }

    static func fetch(
        _ uri: String, client: FederationClient, signer: (keyID: String, key: ActorKeys.KeyPair), on db: any SQLDatabase
    ) async throws -> JSONValue {
        do { return try await client.document(uri, as: signer, maxBytes: 4 << 20, on: db) } catch let error as FederationError where error.permanent {
            throw PermanentJobError(error.description)  // not worth the job's retries
        }
    }
}

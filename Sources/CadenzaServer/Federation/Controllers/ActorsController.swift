import CadenzaFormats
import Fluent
import Foundation
import SQLKit
import Vapor

/// The ActivityPub documents: actors, their collections, libraries, their pages and audio.
/// Public documents answer unsigned GETs unless authorized fetch is on; a library that is not
/// public shows its contents only to an approved follower's signed GET.
enum ActorsController {
    static let activityJSON = "application/activity+json; charset=utf-8"

    static func context(_ req: Request) throws -> (urls: FederationURLs, federation: FederationSettings, secrets: SecretBox) {
        let settings = try req.application.settings
        return (FederationURLs(settings: settings), try settings.section(FederationSettings.self), try req.application.cadenza.secrets)
    }

    /// Checks the caller of a public document: a valid signature from a domain allowed to
    /// federate when authorized fetch or allow-list mode is on, nothing otherwise.
    static func publicReader(_ req: Request) async throws {
        let federation = try context(req).federation
        if federation.authorizedFetch || federation.allowListMode { _ = try await req.federationSigner() }
    }

    /// The signer, when what is asked is not public (or every read must be signed).
    static func reader(_ req: Request, public isPublic: Bool) async throws -> RemoteActor? {
        let federation = try context(req).federation
        guard !isPublic || federation.authorizedFetch || federation.allowListMode else { return nil }
        return try await req.federationSigner()
    }

    static func respond(_ value: JSONValue) -> Response {
        WellKnownController.json(value, type: activityJSON)
    }

    static func localUser(_ req: Request) async throws -> User {
        guard let name = req.parameters.get("username"), let user = try await User.find(username: name, on: req.db) else {
            throw APIError.notFound("Actor")
        }
        return user
    }

    /// Served to anyone, signed or not: peers fetch it to check our signatures, and asking them
    /// to sign that fetch would loop (Mastodon exempts its instance actor the same way).
    @Sendable static func service(req: Request) async throws -> Response {
        let (urls, _, secrets) = try context(req)
        let pem = try await ActorKeys.publicPEM(for: ActorKeys.name(userID: nil), secrets: secrets, on: req.sql)
        return respond(ActorDocuments(urls: urls).service(publicPEM: pem))
    }

    @Sendable static func person(req: Request) async throws -> Response {
        try await publicReader(req)
        let user = try await localUser(req)
        let (urls, _, secrets) = try context(req)
        let pem = try await ActorKeys.publicPEM(for: ActorKeys.name(userID: try user.requireID()), secrets: secrets, on: req.sql)
        return respond(ActorDocuments(urls: urls).person(username: user.username, displayName: nil, publicPEM: pem))
    }

    /// Outbox, followers, following: counts only (who follows whom is not published).
    @Sendable static func personCollection(req: Request) async throws -> Response {
        try await publicReader(req)
        let user = try await localUser(req)
        let (urls, _, _) = try context(req)
        let which = req.parameters.get("collection") ?? ""
        let id = "\(urls.user(user.username))/\(which)"
        let userID = try user.requireID()
        switch which {
        case "outbox":
            return respond(ActorDocuments(urls: urls).collection(id: id, totalItems: 0, items: []))
        case "followers":
            let count = try await FederationFollows.personFollowerInboxes(userID: userID, on: req.sql).count
            return respond(ActorDocuments(urls: urls).collection(id: id, totalItems: count))
        case "following":
            let count = try await FederationFollows.outbound(userID: userID, on: req.sql).filter { $0.status == .approved }.count
            return respond(ActorDocuments(urls: urls).collection(id: id, totalItems: count))
        default:
            throw APIError.notFound("Collection")
        }
    }

    @Sendable static func serviceCollection(req: Request) async throws -> Response {
        try await publicReader(req)
        let (urls, _, _) = try context(req)
        let which = req.parameters.get("collection") ?? ""
        guard ["outbox", "followers", "following"].contains(which) else { throw APIError.notFound("Collection") }
        return respond(ActorDocuments(urls: urls).collection(id: "\(urls.service)/\(which)", totalItems: 0, items: []))
    }

    /// The library and who owns it, refused when federation may not show it: mirrors of other
    /// servers' libraries never, private ones only to their approved followers.
    /// A private library's approved follower comes back as `follower` (checked once per request).
    static func library(_ req: Request) async throws -> (LibraryRecord, ownerUsername: String?, follower: RemoteActor?) {
        let id = try req.int64Parameter("id", what: "Library")
        guard let library = try await Libraries.find(id: id, on: req.sql), library.kind != .remote else { throw APIError.notFound("Library") }
        var follower: RemoteActor?
        if library.visibility == .private {
            guard req.headers.first(name: "signature") != nil || req.headers.first(name: .authorization) != nil,
                let signer = try? await req.federationSigner(),
                try await FederationFollows.isApprovedFollower(signer.uri, libraryID: library.id, on: req.sql)
            else { throw APIError.notFound("Library") }
            follower = signer
        }
        var owner: String?
        if let ownerID = library.ownerID {
            guard let user = try await User.find(ownerID, on: req.db) else { throw APIError.notFound("Library") }
            owner = user.username
        }
        return (library, owner, follower)
    }

    /// `GET /federation/libraries/:id` (the library) or `?page=N` (50 Audio objects).
    @Sendable static func libraryDocument(req: Request) async throws -> Response {
        let (library, owner, follower) = try await library(req)
        let urls = try context(req).urls
        let documents = ActorDocuments(urls: urls)
        let total = try await CatalogQueries.libraryAudioCount(libraryID: library.id, on: req.sql)
        guard let rawPage = req.query[String.self, at: "page"] else {
            try await publicReader(req)
            return respond(documents.library(library, ownerUsername: owner, totalItems: total))
        }
        guard let page = Int(rawPage), page >= 1, page <= 1_000_000 else { throw APIError.badRequest("page must be a number from 1.") }
        if library.visibility == .public {
            try await publicReader(req)
        } else if follower == nil {
            // A private library's follower was checked above; an instance library's is checked here.
            guard let signer = try await reader(req, public: false),
                try await FederationFollows.isApprovedFollower(signer.uri, libraryID: library.id, on: req.sql)
            else {
                throw APIError.forbidden("Only approved followers may read this library.")
            }
        }
        let items = try await CatalogQueries.libraryAudio(
            libraryID: library.id, offset: (page - 1) * ActorDocuments.pageSize, limit: ActorDocuments.pageSize, on: req.sql)
        return respond(documents.libraryPage(library, ownerUsername: owner, page: page, totalItems: total, items: items))
    }

    @Sendable static func libraryFollowers(req: Request) async throws -> Response {
        try await publicReader(req)
        let (library, _, _) = try await library(req)
        let (urls, _, _) = try context(req)
        let count = try await FederationFollows.counts(libraryID: library.id, on: req.sql)
        return respond(ActorDocuments(urls: urls).collection(id: urls.library(library.id) + "/followers", totalItems: count))
    }

    /// The file an approved follower (or anyone, for a public library) may read.
    static func audio(_ req: Request) async throws -> (LibraryAudio, LibraryRecord, owner: String?) {
        let id = try req.int64Parameter("id", what: "Audio")
        guard let audio = try await CatalogQueries.libraryAudio(fileID: id, on: req.sql),
            let library = try await Libraries.find(id: audio.libraryID, on: req.sql), library.kind != .remote
        else { throw APIError.notFound("Audio") }
        // The bytes only ever to a signed request (NodeInfo says anonymous listeners may not).
        let signer = try await reader(req, public: library.visibility == .public && !req.url.path.hasSuffix("/stream"))
        if library.visibility != .public {
            guard let signer, try await FederationFollows.isApprovedFollower(signer.uri, libraryID: library.id, on: req.sql) else {
                throw APIError.forbidden("Only approved followers of its library may read this.")
            }
        }
        var owner: String?
        if let ownerID = library.ownerID { owner = try await User.find(ownerID, on: req.db)?.username }
        return (audio, library, owner)
    }

    @Sendable static func audioDocument(req: Request) async throws -> Response {
        let (audio, _, owner) = try await audio(req)
        return respond(ActorDocuments(urls: try context(req).urls).audio(audio, ownerUsername: owner))
    }

    /// `GET /federation/audio/:id/stream`: the file's bytes (Range honoured) for a follower's server.
    @Sendable static func audioStream(req: Request) async throws -> Response {
        let (audio, library, _) = try await audio(req)
        guard let found = try await CatalogQueries.streamableFile(id: audio.fileID, visible: [library.id], on: req.sql),
            !found.absolutePath.isEmpty
        else { throw APIError.notFound("Audio") }
        return try await StreamController.raw(path: found.absolutePath, format: found.file.format, req: req)
    }
}

import CadenzaFormats
import Foundation
import Vapor

/// The documents other instances read: actors, libraries and their pages, audio. Strict in what
/// they carry (full ids, an explicit media type, the contexts Funkwhale reads).
struct ActorDocuments: Sendable {
    let urls: FederationURLs

    func person(username: String, displayName: String?, publicPEM: String) -> JSONValue {
        let id = urls.user(username)
        return .object([
            "@context": ActivityContext.value,
            "id": .string(id),
            "type": .string("Person"),
            "preferredUsername": .string(username),
            "name": .string(displayName ?? username),
            "url": .string("\(urls.base)/#/users/\(FederationURLs.encode(username))"),
            "inbox": .string(id + "/inbox"),
            "outbox": .string(id + "/outbox"),
            "followers": .string(id + "/followers"),
            "following": .string(id + "/following"),
            "manuallyApprovesFollowers": .bool(false),
            "discoverable": .bool(true),
            "endpoints": .object(["sharedInbox": .string(urls.sharedInbox)]),
            "publicKey": key(owner: id, pem: publicPEM),
        ])
    }

    /// The instance's own actor: signs fetches made for no one in particular, owns the libraries
    /// no user owns.
    func service(publicPEM: String) -> JSONValue {
        let id = urls.service
        return .object([
            "@context": ActivityContext.value,
            "id": .string(id),
            "type": .string("Service"),
            "preferredUsername": .string(FederationURLs.serviceUsername),
            "name": .string("Cadenza at \(urls.authority)"),
            "url": .string(urls.base + "/"),
            "inbox": .string(urls.sharedInbox),
            "outbox": .string(id + "/outbox"),
            "followers": .string(id + "/followers"),
            "following": .string(id + "/following"),
            "manuallyApprovesFollowers": .bool(true),
            "endpoints": .object(["sharedInbox": .string(urls.sharedInbox)]),
            "publicKey": key(owner: id, pem: publicPEM),
        ])
    }

    private func key(owner: String, pem: String) -> JSONValue {
        .object(["id": .string(urls.keyID(ofActor: owner)), "owner": .string(owner), "publicKeyPem": .string(pem)])
    }

    static let pageSize = 50

    /// A library, as Funkwhale describes one (an actor-like collection of Audio).
    func library(_ library: LibraryRecord, ownerUsername: String?, totalItems: Int) -> JSONValue {
        let id = urls.library(library.id)
        let owner = ownerUsername.map(urls.user) ?? urls.service
        let pages = max(1, (totalItems + Self.pageSize - 1) / Self.pageSize)
        return .object([
            "@context": ActivityContext.value,
            "id": .string(id),
            "type": .string("Library"),
            "name": .string(library.name),
            "summary": .string(""),
            "attributedTo": .string(owner),
            "actor": .string(owner),
            "followers": .string(id + "/followers"),
            "totalItems": .number(Double(totalItems)),
            "first": .string("\(id)?page=1"),
            "last": .string("\(id)?page=\(pages)"),
            "audience": library.visibility == .public ? .string(ActivityContext.publicAddress) : .string(""),
            "manuallyApprovesFollowers": .bool(library.visibility != .public),
            "published": .string(Self.iso(library.createdAt)),
        ])
    }

    func libraryPage(_ library: LibraryRecord, ownerUsername: String?, page: Int, totalItems: Int, items: [LibraryAudio]) -> JSONValue {
        let id = urls.library(library.id)
        let pages = max(1, (totalItems + Self.pageSize - 1) / Self.pageSize)
        return .object(
            [
                "@context": ActivityContext.value,
                "id": .string("\(id)?page=\(page)"),
                "type": .string("CollectionPage"),
                "partOf": .string(id),
                "totalItems": .number(Double(totalItems)),
                "first": .string("\(id)?page=1"),
                "last": .string("\(id)?page=\(pages)"),
                "next": page < pages ? .string("\(id)?page=\(page + 1)") : nil,
                "prev": page > 1 ? .string("\(id)?page=\(page - 1)") : nil,
                "items": .array(items.map { audio($0, ownerUsername: ownerUsername, context: false) }),
            ].compactMapValues { $0 })
    }

    /// One file, with its track, album and artists inline (what a follower's catalog is built from).
    func audio(_ audio: LibraryAudio, ownerUsername: String?, context: Bool = true) -> JSONValue {
        let owner = ownerUsername.map(urls.user) ?? urls.service
        let mime = CadenzaTagsMime.forExtension(audio.format ?? "mp3").serialize()
        let artist: JSONValue = .object([
            "type": .string("Artist"), "id": .string("\(urls.base)/federation/artists/\(audio.artistID)"), "name": .string(audio.artist),
            "musicbrainzId": audio.artistMBID.map(JSONValue.string) ?? .null,
        ])
        let albumArtist: JSONValue = .object([
            "type": .string("Artist"), "id": .string("\(urls.base)/federation/artists/\(audio.albumArtistID)"),
            "name": .string(audio.albumArtist), "musicbrainzId": .null,
        ])
        let album: JSONValue = .object([
            "type": .string("Album"), "id": .string("\(urls.base)/federation/albums/\(audio.albumID)"), "name": .string(audio.album),
            "released": audio.year.map { .string(String(format: "%04d-01-01", $0)) } ?? .null,
            "musicbrainzId": audio.albumMBID.map(JSONValue.string) ?? .null, "artists": .array([albumArtist]),
            "attributedTo": .string(owner),
        ])
        let track: JSONValue = .object([
            "type": .string("Track"), "id": .string("\(urls.base)/federation/tracks/\(audio.trackID)"), "name": .string(audio.title),
            "position": audio.trackNumber.map { .number(Double($0)) } ?? .null,
            "disc": audio.discNumber.map { .number(Double($0)) } ?? .null,
            "musicbrainzId": audio.trackMBID.map(JSONValue.string) ?? .null, "artists": .array([artist]), "album": album,
            "attributedTo": .string(owner),
        ])
        var fields: [String: JSONValue] = [
            "type": .string("Audio"),
            "id": .string(urls.audio(audio.fileID)),
            "name": .string("\(audio.artist) - \(audio.title)"),
            "library": .string(urls.library(audio.libraryID)),
            "size": .number(Double(audio.size)),
            "bitrate": .number(Double((audio.bitrate ?? 0) * 1000)),
            "duration": .number(Double(audio.durationMs / 1000)),
            "published": .string(Self.iso(audio.createdAt)),
            "updated": .string(Self.iso(audio.updatedAt)),
            "url": .object(["type": .string("Link"), "href": .string(urls.audioStream(audio.fileID)), "mediaType": .string(mime)]),
            "track": track,
            "attributedTo": .string(owner),
        ]
        if context { fields["@context"] = ActivityContext.value }
        return .object(fields)
    }

    static func iso(_ millis: Int64) -> String {
        Date(timeIntervalSince1970: Double(millis) / 1000).formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    func collection(id: String, totalItems: Int, items: [JSONValue]? = nil) -> JSONValue {
        .object(
            [
                "@context": ActivityContext.value, "id": .string(id), "type": .string("OrderedCollection"),
                "totalItems": .number(Double(totalItems)), "orderedItems": items.map(JSONValue.array),
            ].compactMapValues { $0 })
    }
}

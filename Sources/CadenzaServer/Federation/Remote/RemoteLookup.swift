import CadenzaFormats
import Foundation
import SQLKit
import Vapor

/// Finds what a user typed: `@user@host[:port]` (WebFinger, then the actor) or the URL of a
/// library or an actor.
enum RemoteLookup {
    struct Found: Content, Equatable {
        /// person or library
        var kind: String
        var id: String
        var name: String
        /// The actor a follow is sent to: the person, or the library's owner.
        var owner: String
        var handle: String?
        var totalItems: Int?
        var manuallyApprovesFollowers: Bool
    }

    static func find(_ query: String, client: FederationClient, on db: any SQLDatabase) async throws -> Found {
        let text = query.trimmingCharacters(in: .whitespaces)
        guard text.utf8.count <= 1000, !text.isEmpty else { throw FederationError.refused("give @user@host or a URL") }
        if text.lowercased().hasPrefix("http://") || text.lowercased().hasPrefix("https://") {
            return try await object(at: text, client: client, on: db)
        }
        let account = text.hasPrefix("@") ? String(text.dropFirst()) : text.replacingOccurrences(of: "acct:", with: "")
        guard let at = account.lastIndex(of: "@"), at != account.startIndex else { throw FederationError.refused("give @user@host or a URL") }
        let host = String(account[account.index(after: at)...]).lowercased()
        guard !host.isEmpty, !host.contains("/"), host != client.urls.authority else {
            throw FederationError.refused("\(host) is not another instance")
        }
        let actor = try await webfinger(account: account, host: host, client: client, on: db)
        return try await object(at: actor, client: client, on: db)
    }

    static func webfinger(account: String, host: String, client: FederationClient, on db: any SQLDatabase) async throws -> String {
        let resource =
            "acct:\(account)".addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~:@"))) ?? ""
        let signer = try await client.signer(userID: nil, username: nil, on: db)
        var lastError: any Error = FederationError.refused("\(host) did not answer")
        for scheme in client.federation.allowHTTP ? ["https", "http"] : ["https"] {
            do {
                let response = try await client.get(
                    "\(scheme)://\(host)/.well-known/webfinger?resource=\(resource)", as: signer, maxBytes: 64 * 1024, on: db)
                guard response.status == 200 else { throw FederationError.refused("\(host) does not know \(account) (HTTP \(response.status))") }
                guard let value = try? JSONValue.parse(response.body) else {
                    throw FederationError.refused("\(host) answered WebFinger with no JSON")
                }
                let link = (value["links"] ?? .null).array.first {
                    $0["rel"]?.string == "self" && ($0["type"]?.string ?? "").contains("json")
                }
                guard let href = link?["href"]?.string, FederationURLs.authority(of: href) != nil else {
                    throw FederationError.refused("\(host) gave no ActivityPub actor for \(account)")
                }
                return href
            } catch let error as FederationError where error.permanent {
                throw error
            } catch {
                lastError = error
            }
        }
        throw lastError
    }

    /// Fetches a library or an actor document and says what it is.
    static func object(at uri: String, client: FederationClient, on db: any SQLDatabase) async throws -> Found {
        guard FederationURLs.authority(of: uri) != client.urls.authority else { throw FederationError.refused("that is on this instance") }
        let value = try await RemoteActors.fetchDocument(uri, client: client, on: db)
        guard let id = value["id"]?.string, FederationURLs.authority(of: id) == FederationURLs.authority(of: uri) else {
            throw FederationError.refused("\(uri): the document's id is missing or on another domain")
        }
        if value.typeName == "Library" {
            guard let owner = value["attributedTo"]?.idValue ?? value["actor"]?.idValue,
                FederationURLs.authority(of: owner) == FederationURLs.authority(of: id)
            else { throw FederationError.refused("\(uri): the library names no owner on its domain") }
            let ownerActor = try await RemoteActors.resolve(uri: owner, client: client, on: db)
            return Found(
                kind: "library", id: id, name: String((value["name"]?.string ?? "Library").prefix(200)), owner: owner,
                handle: ownerActor.handle, totalItems: value["totalItems"]?.int.map { Int(clamping: $0) },
                manuallyApprovesFollowers: value["manuallyApprovesFollowers"] == .bool(true))
        }
        let actor = try await RemoteActors.store(value, fetchedFrom: uri, on: db)
        return Found(
            kind: "person", id: actor.uri, name: actor.name ?? actor.username ?? actor.uri, owner: actor.uri, handle: actor.handle,
            totalItems: nil, manuallyApprovesFollowers: value["manuallyApprovesFollowers"] == .bool(true))
    }
}

import AsyncHTTPClient
import CadenzaFormats
import Foundation
import NIOCore
import NIOHTTP1
import SQLKit

/// Every request this instance makes to another: signed (as the service actor unless a user
/// acts), to checked addresses only, without redirects, with timeouts and a cap on what is read.
struct FederationClient: Sendable {
    static let maxDocumentBytes = 1 << 20

    let settings: Settings
    let federation: FederationSettings
    let secrets: SecretBox
    let urls: FederationURLs

    init(services: AppServices) throws {
        settings = services.settings
        federation = try services.settings.section(FederationSettings.self)
        secrets = services.secrets
        urls = FederationURLs(settings: services.settings)
    }

    static let http = HTTPClient(
        eventLoopGroup: HTTPClient.defaultEventLoopGroup,
        configuration: HTTPClient.Configuration(
            redirectConfiguration: .disallow, timeout: .init(connect: .seconds(5), read: .seconds(20))))

    struct Response: Sendable {
        var status: Int
        var body: [UInt8]
        var contentType: String = ""
    }

    /// A peer's URL we may call: http(s), https unless plain http is allowed, not our own.
    func checkedURL(_ text: String) throws -> URL {
        let url: URL
        do { url = try OutboundAddress.parse(text) } catch { throw FederationError.refused("\(text): \(error)") }
        if url.scheme?.lowercased() == "http", !federation.allowHTTP {
            throw FederationError.refused("\(text): plain http peers are not allowed (CADENZA_FEDERATION_ALLOW_HTTP)")
        }
        return url
    }

    /// The actor a request is signed as: a user's, or the service actor's.
    func signer(userID: Int64?, username: String?, on db: any SQLDatabase) async throws -> (keyID: String, key: ActorKeys.KeyPair) {
        let actor = username.map(urls.user) ?? urls.service
        let pair = try await ActorKeys.keyPair(for: ActorKeys.name(userID: username == nil ? nil : userID), secrets: secrets, on: db)
        return (urls.keyID(ofActor: actor), pair)
    }

    func get(
        _ text: String, as signer: (keyID: String, key: ActorKeys.KeyPair), maxBytes: Int = maxDocumentBytes, on db: any SQLDatabase
    ) async throws -> Response {
        try await send(method: .GET, text, body: nil, as: signer, maxBytes: maxBytes, on: db)
    }

    func post(_ text: String, body: [UInt8], as signer: (keyID: String, key: ActorKeys.KeyPair), on db: any SQLDatabase) async throws -> Response {
        try await send(method: .POST, text, body: body, as: signer, maxBytes: 64 * 1024, on: db)
    }

    /// An ActivityStreams document: a 200, served as ActivityStreams (a JSON file a user uploaded
    /// to that domain must not pass for one of its actors), and JSON.
    func document(
        _ uri: String, as signer: (keyID: String, key: ActorKeys.KeyPair), maxBytes: Int = maxDocumentBytes, on db: any SQLDatabase
    ) async throws -> JSONValue {
        let response = try await get(uri, as: signer, maxBytes: maxBytes, on: db)
        guard response.status == 200 else {
            let text = "\(uri) answered HTTP \(response.status)"
            throw response.status >= 500 || response.status == 429 ? FederationError.transient(text) : FederationError.refused(text)
        }
        let type = response.contentType.lowercased()
        guard type.hasPrefix("application/activity+json") || type.hasPrefix("application/ld+json") else {
            throw FederationError.refused("\(uri) is served as \(type.isEmpty ? "nothing" : type), not as ActivityStreams")
        }
        do { return try JSONValue.parse(response.body) } catch { throw FederationError.refused("\(uri) is not JSON: \(error)") }
    }

    /// A signed GET whose body the caller streams (remote audio); the caller must read or drop it.
    func open(
        _ text: String, headers extra: [(String, String)], as signer: (keyID: String, key: ActorKeys.KeyPair), on db: any SQLDatabase
    ) async throws -> HTTPClientResponse {
        let (request, _) = try await prepare(method: .GET, text, body: nil, as: signer, accept: "*/*", on: db)
        var signed = request
        for (name, value) in extra { signed.headers.replaceOrAdd(name: name, value: value) }
        return try await Self.http.execute(signed, timeout: .seconds(20))
    }

    private func send(
        method: HTTPMethod, _ text: String, body: [UInt8]?, as signer: (keyID: String, key: ActorKeys.KeyPair), maxBytes: Int,
        on db: any SQLDatabase
    ) async throws -> Response {
        let (request, url) = try await prepare(method: method, text, body: body, as: signer, accept: nil, on: db)
        do {
            let response = try await Self.http.execute(request, timeout: .seconds(20))
            let buffer = try await response.body.collect(upTo: maxBytes)
            return Response(
                status: Int(response.status.code), body: Array(buffer.readableBytesView),
                contentType: response.headers.first(name: "content-type") ?? "")
        } catch let error as NIOTooManyBytesError {
            throw FederationError.refused("\(url): the answer is larger than \(maxBytes) bytes (\(error))")
        } catch let error as FederationError {
            throw error
        } catch {
            throw FederationError.transient("\(url): \(error)")
        }
    }

    private func prepare(
        method: HTTPMethod, _ text: String, body: [UInt8]?, as signer: (keyID: String, key: ActorKeys.KeyPair), accept: String?,
        on db: any SQLDatabase
    ) async throws -> (HTTPClientRequest, URL) {
        let url = try checkedURL(text)
        // Every request out asks the domain's policy first: a blocked (or, in allow-list mode,
        // unlisted) domain is never called, whatever asks.
        guard let authority = FederationURLs.authority(of: text),
            try await DomainPolicies.federates(with: authority, allowListMode: federation.allowListMode, on: db)
        else { throw FederationError.refused("\(text): that domain may not federate with this instance") }
        let target: URL
        do { target = try await OutboundAddress.check(url, allowPrivate: federation.allowPrivateAddresses) } catch let problem
            as OutboundAddress.Problem
        {
            // A name that does not resolve may resolve in a minute; a private address will not change.
            if case .unresolved = problem { throw FederationError.transient("\(text): \(problem)") }
            throw FederationError.refused("\(text): \(problem)")
        }
        var request = HTTPClientRequest(url: target.absoluteString)
        request.method = method
        request.headers.add(name: "User-Agent", value: "Cadenza (+\(urls.base))")
        for (name, value) in try RequestSigner.headers(
            method: method.rawValue, url: url, body: body, accept: accept ?? RequestSigner.accept, keyID: signer.keyID,
            key: signer.key.privateKey)
        {
            request.headers.replaceOrAdd(name: name, value: value)
        }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        return (request, url)
    }
}

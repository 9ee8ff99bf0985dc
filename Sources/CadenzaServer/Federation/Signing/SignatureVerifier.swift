import CadenzaFormats
import Crypto
import Foundation
import NIOConcurrencyHelpers
import SQLKit
import _CryptoExtras

/// Checks a signed request from another instance: the covered headers (the request line, the
/// host, a date, the body's digest on a POST), the date window, the body digest recomputed over
/// the bytes received, the domain's policy before any fetch, and the RSA signature with the key
/// we hold, refetching the actor once when it fails (the peer may have rotated its key).
struct SignatureVerifier: Sendable {
    /// How far a Date may be from now (Mastodon's is an hour past created+5 min, an hour ahead).
    static let window: TimeInterval = 3600

    enum Failure: Error, CustomStringConvertible, Equatable {
        /// 401: no usable signature at all.
        case unsigned(String)
        /// 401: signed, but not validly.
        case invalid(String)
        /// 403: the domain is blocked or not allowed.
        case forbidden(String)

        var description: String {
            switch self {
            case .unsigned(let why), .invalid(let why), .forbidden(let why): why
            }
        }
    }

    let client: FederationClient

    /// Reads the signature from `Signature`, or `Authorization: Signature …`.
    static func header(signature: String?, authorization: String?) -> String? {
        if let signature { return signature }
        if let authorization, authorization.lowercased().hasPrefix("signature ") { return String(authorization.dropFirst(10)) }
        return nil
    }

    /// The remote actor that signed, or why the request is refused.
    func verify(
        method: String, target: String, headers: [String: String], body: [UInt8]?, now: Date = Date(), on db: any SQLDatabase
    ) async throws -> RemoteActor {
        guard let text = Self.header(signature: headers["signature"], authorization: headers["authorization"]) else {
            throw Failure.unsigned("the request is not signed")
        }
        guard let signature = HTTPSignature.parse(text) else { throw Failure.invalid("the Signature header cannot be read") }
        if let algorithm = signature.algorithm, algorithm != "rsa-sha256", algorithm != "hs2019" {
            throw Failure.invalid("algorithm \(algorithm) is not supported (rsa-sha256, hs2019)")
        }
        let covered = Set(signature.headers)
        guard covered.contains("(request-target)") else { throw Failure.invalid("(request-target) must be signed") }
        guard covered.contains("host") else { throw Failure.invalid("host must be signed") }
        // Signed for us, not replayed from a request made to another server.
        guard headers["host"]?.lowercased() == client.urls.authority else { throw Failure.invalid("the signed host is not this server") }
        guard covered.contains("date") || covered.contains("(created)") else { throw Failure.invalid("date must be signed") }
        if let body {
            guard covered.contains("digest") else { throw Failure.invalid("digest must be signed on a request with a body") }
            guard let sent = headers["digest"].flatMap(HTTPSignature.sha256Digest(fromHeader:)) else {
                throw Failure.invalid("the Digest header has no SHA-256")
            }
            guard sent == Array(SHA256.hash(data: body)) else { throw Failure.invalid("the body does not match its digest") }
        }
        if covered.contains("date") {
            guard let date = headers["date"].flatMap(RequestSigner.parseHTTPDate) else { throw Failure.invalid("the Date cannot be read") }
            guard abs(date.timeIntervalSince(now)) <= Self.window else { throw Failure.invalid("the Date is outside the accepted window") }
        }
        if let created = signature.created, abs(Double(created) - now.timeIntervalSince1970) > Self.window {
            throw Failure.invalid("(created) is outside the accepted window")
        }
        if let expires = signature.expires, Double(expires) < now.timeIntervalSince1970 { throw Failure.invalid("the signature has expired") }
        guard
            let signed = HTTPSignature.signingString(
                headers: signature.headers, method: method, target: target, created: signature.created, expires: signature.expires,
                value: { headers[$0] })
        else { throw Failure.invalid("a signed header is missing") }

        guard let authority = FederationURLs.authority(of: signature.keyID) else { throw Failure.invalid("the keyId is not a URL") }
        guard authority != client.urls.authority else { throw Failure.invalid("the keyId is on this instance") }
        guard try await DomainPolicies.federates(with: authority, allowListMode: client.federation.allowListMode, on: db) else {
            throw Failure.forbidden("\(authority) may not federate with this instance")
        }
        let known = try await RemoteActors.find(keyID: signature.keyID, on: db)
        if let known, Self.isValid(signature, over: signed, pem: known.publicPEM) { return try await allowed(known, on: db) }
        // Unknown key, or it no longer verifies: fetch the actor (once) and try again — at most
        // once per key every half minute, so bad signatures cannot make us fetch on their behalf.
        guard Self.refetches.allow((known == nil ? "new " : "again ") + signature.keyID, now: now) else {
            throw Failure.invalid(known == nil ? "the signer's key could not be fetched just now" : "the signature does not verify")
        }
        let fresh: RemoteActor
        do { fresh = try await RemoteActors.fetch(keyID: signature.keyID, client: client, on: db) } catch {
            throw Failure.invalid("the signer's key cannot be fetched: \(error)")
        }
        guard fresh.keyID == signature.keyID, Self.isValid(signature, over: signed, pem: fresh.publicPEM) else {
            throw Failure.invalid("the signature does not verify")
        }
        return try await allowed(fresh, on: db)
    }

    /// The signer, unless an administrator blocked that account.
    private func allowed(_ actor: RemoteActor, on db: any SQLDatabase) async throws -> RemoteActor {
        guard try await !AccountBlocks.isBlocked(actor.uri, on: db) else { throw Failure.forbidden("\(actor.handle) is blocked here") }
        return actor
    }

    static let refetches = FetchThrottle(interval: 30)

    static func isValid(_ signature: HTTPSignature, over text: String, pem: String) -> Bool {
        guard let key = try? _RSA.Signing.PublicKey(pemRepresentation: pem) else { return false }
        return key.isValidSignature(
            _RSA.Signing.RSASignature(rawRepresentation: signature.signature), for: Data(text.utf8), padding: .insecurePKCS1v1_5)
    }
}

/// Remembers when each key was last fetched because of a signature (bounded: the oldest are
/// forgotten first), so one key is fetched at most once per interval.
final class FetchThrottle: Sendable {
    private let interval: TimeInterval
    private let recent = NIOLockedValueBox([String: Date]())

    init(interval: TimeInterval) { self.interval = interval }

    func allow(_ key: String, now: Date) -> Bool {
        recent.withLockedValue { seen in
            if let last = seen[key], now.timeIntervalSince(last) < interval { return false }
            if seen.count >= 10_000 { seen = seen.filter { now.timeIntervalSince($0.value) < interval } }
            seen[key] = now
            return true
        }
    }
}

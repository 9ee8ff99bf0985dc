import CadenzaFormats
import Crypto
import Foundation
import NIOConcurrencyHelpers
import SQLKit
import _CryptoExtras

/// Our actors' RSA-2048 key pairs: made on first use (off the event loops), the private half
/// sealed with the server's key, parsed keys kept in memory.
enum ActorKeys {
    struct KeyPair: Sendable {
        var publicPEM: String
        var privateKey: _RSA.Signing.PrivateKey
    }

    /// `service` or `user:<id>`.
    static func name(userID: Int64?) -> String { userID.map { "user:\($0)" } ?? "service" }

    private static let cache = NIOLockedValueBox([String: KeyPair]())

    static func keyPair(for actor: String, secrets: SecretBox, on db: any SQLDatabase) async throws -> KeyPair {
        if let cached = cache.withLockedValue({ $0[actor] }) { return cached }
        if let row = try await db.raw("SELECT public_pem, private_sealed FROM federation_keys WHERE actor = \(bind: actor)").first() {
            let pair = try open(row: row, secrets: secrets)
            cache.withLockedValue { $0[actor] = pair }
            return pair
        }
        let made = try await runBlockingThrowing { try _RSA.Signing.PrivateKey(keySize: .bits2048) }
        let sealed = try secrets.seal(made.pkcs8PEMRepresentation)
        // Two nodes making the first key at once: one insert wins, both read it back.
        try await db.raw(
            """
            INSERT INTO federation_keys (actor, public_pem, private_sealed, created_at)
            VALUES (\(bind: actor), \(bind: made.publicKey.pemRepresentation), \(bind: sealed), \(bind: Clock.nowMillis()))
            ON CONFLICT (actor) DO NOTHING
            """
        ).run()
        return try await keyPair(for: actor, secrets: secrets, on: db)
    }

    static func publicPEM(for actor: String, secrets: SecretBox, on db: any SQLDatabase) async throws -> String {
        try await keyPair(for: actor, secrets: secrets, on: db).publicPEM
    }

    /// A new key pair for `actor` (a leaked key, or an operator's schedule). Peers learn it when
    /// a signature fails with the key they hold and they fetch the actor again.
    static func rotate(_ actor: String, secrets: SecretBox, on db: any SQLDatabase) async throws {
        let made = try await runBlockingThrowing { try _RSA.Signing.PrivateKey(keySize: .bits2048) }
        let sealed = try secrets.seal(made.pkcs8PEMRepresentation)
        try await db.raw("DELETE FROM federation_keys WHERE actor = \(bind: actor)").run()
        try await db.raw(
            """
            INSERT INTO federation_keys (actor, public_pem, private_sealed, created_at)
            VALUES (\(bind: actor), \(bind: made.publicKey.pemRepresentation), \(bind: sealed), \(bind: Clock.nowMillis()))
            """
        ).run()
        cache.withLockedValue { $0[actor] = nil }
    }

    private static func open(row: any SQLRow, secrets: SecretBox) throws -> KeyPair {
        let publicPEM = try row.decode(column: "public_pem", as: String.self)
        guard let pem = secrets.open(try row.decode(column: "private_sealed", as: String.self)) else {
            throw FederationError.internal("a federation key cannot be opened with this server's secret key")
        }
        return KeyPair(publicPEM: publicPEM, privateKey: try _RSA.Signing.PrivateKey(pemRepresentation: pem))
    }
}

/// Why federation work failed, in words a log or an admin page can show.
struct FederationError: Error, CustomStringConvertible {
    var description: String
    /// Trying again cannot help (a 4xx from the peer, a refused address).
    var permanent: Bool

    static func `internal`(_ text: String) -> FederationError { FederationError(description: text, permanent: true) }
    static func refused(_ text: String) -> FederationError { FederationError(description: text, permanent: true) }
    static func transient(_ text: String) -> FederationError { FederationError(description: text, permanent: false) }
}

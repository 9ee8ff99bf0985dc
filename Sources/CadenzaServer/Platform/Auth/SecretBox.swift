import Foundation
import Vapor

/// Encrypts secrets the server must be able to read back (Subsonic passwords, which token auth
/// needs in clear to compute md5(password + salt)). AES-GCM with a key from `CADENZA_SECRET_KEY`
/// (base64, 32 bytes; set it on every node of a multi-node install) or, by default, a key file
/// created in the data directory with mode 0600.
public struct SecretBox: Sendable {
    let key: SymmetricKey

    static func load(settings: Settings) throws -> SecretBox {
        if let configured = settings.secretKey {
            guard let data = Data(base64Encoded: configured), data.count == 32 else {
                throw SettingsError(problems: ["CADENZA_SECRET_KEY: expected 32 bytes in base64 (openssl rand -base64 32)"])
            }
            return SecretBox(key: SymmetricKey(data: data))
        }
        let url = settings.dataDirectory.appendingPathComponent("secret.key")
        if let data = FileManager.default.contents(atPath: url.path), let decoded = Data(base64Encoded: data), decoded.count == 32 {
            return SecretBox(key: SymmetricKey(data: decoded))
        }
        try FileManager.default.createDirectory(at: settings.dataDirectory, withIntermediateDirectories: true)
        let key = SymmetricKey(size: .bits256)
        let encoded = key.withUnsafeBytes { Data($0) }.base64EncodedData()
        guard FileManager.default.createFile(atPath: url.path, contents: encoded, attributes: [.posixPermissions: 0o600]) else {
            throw SettingsError(problems: ["cannot write the key file \(url.path)"])
        }
        return SecretBox(key: key)
    }

    func seal(_ plaintext: String) throws -> String {
        try AES.GCM.seal(Data(plaintext.utf8), using: key).combined?.base64EncodedString() ?? ""
    }

    /// A keyed digest of `text` (base64url), for links that must prove the server made them
    /// (one-click unsubscribe) without storing a token.
    func mac(_ text: String) -> String {
        Data(HMAC<SHA256>.authenticationCode(for: Data(text.utf8), using: key)).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    func open(_ sealed: String) -> String? {
        guard let data = Data(base64Encoded: sealed), let box = try? AES.GCM.SealedBox(combined: data),
            let plain = try? AES.GCM.open(box, using: key)
        else { return nil }
        return String(data: plain, encoding: .utf8)
    }
}

extension Application {
    var secretBox: SecretBox {
        get throws { try cadenza.secrets }
    }
}

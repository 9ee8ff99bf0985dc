import Vapor
import Foundation

/// Random tokens and their stored form. Tokens are never stored in clear: only their SHA-256.
enum Secrets {
    static func randomToken(bytes: Int = 32) -> String {
        var generator = SystemRandomNumberGenerator()
        let data = Data((0..<bytes).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
        return data.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func hash(_ token: String) -> String {
        UTF8Text.hex(SHA256.hash(data: Data(token.utf8)))
    }

    /// MD5 in lowercase hex: only for legacy protocols that define their signatures with it
    /// (Subsonic tokens, Last.fm api_sig, AudioScrobbler handshakes), never for storage.
    static func md5Hex(_ text: String) -> String {
        UTF8Text.hex(Insecure.MD5.hash(data: Data(text.utf8)))
    }

    /// Constant-time comparison of two hex digests.
    static func equal(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var diff: UInt8 = 0
        for i in x.indices { diff |= x[i] ^ y[i] }
        return diff == 0
    }
}

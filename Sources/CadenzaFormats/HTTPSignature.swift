import Foundation

/// The `Signature` header of draft-cavage HTTP Signatures (what Mastodon, Funkwhale and every
/// ActivityPub server send): `keyId="…",algorithm="…",headers="…",signature="…"`, and the
/// string a signature covers. Parsing is bounded; anything malformed is nil, never a trap.
public struct HTTPSignature: Sendable, Equatable {
    public static let maxHeaderLength = 8192

    public var keyID: String
    /// `rsa-sha256` or `hs2019` (both are RSA-SHA256 here); nil when the sender left it out.
    public var algorithm: String?
    /// The covered headers, lowercased, in order; `["date"]` when the sender named none.
    public var headers: [String]
    public var signature: [UInt8]
    /// `(created)` and `(expires)`, seconds since 1970, when sent.
    public var created: Int64?
    public var expires: Int64?

    public init(keyID: String, algorithm: String?, headers: [String], signature: [UInt8], created: Int64? = nil, expires: Int64? = nil) {
        self.keyID = keyID
        self.algorithm = algorithm
        self.headers = headers
        self.signature = signature
        self.created = created
        self.expires = expires
    }

    /// Parses a `Signature` header (or the value after `Signature ` in `Authorization`).
    public static func parse(_ text: String) -> HTTPSignature? {
        guard text.utf8.count <= maxHeaderLength else { return nil }
        var fields: [String: String] = [:]
        var rest = Substring(text)
        while true {
            rest = rest.drop(while: { $0 == " " || $0 == "\t" || $0 == "," })
            guard !rest.isEmpty else { break }
            guard let equals = rest.firstIndex(of: "=") else { return nil }
            let name = rest[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            rest = rest[rest.index(after: equals)...]
            let value: Substring
            if rest.first == "\"" {
                rest = rest.dropFirst()
                guard let close = rest.firstIndex(of: "\"") else { return nil }
                value = rest[..<close]
                rest = rest[rest.index(after: close)...]
            } else {
                let end = rest.firstIndex(of: ",") ?? rest.endIndex
                value = rest[..<end]
                rest = rest[end...]
            }
            guard !name.isEmpty, fields[name] == nil else { return nil }  // a repeated field is ambiguous
            fields[name] = String(value)
            guard fields.count <= 16 else { return nil }
        }
        guard let keyID = fields["keyid"], !keyID.isEmpty, let encoded = fields["signature"],
            let signature = Data(base64Encoded: encoded), !signature.isEmpty
        else { return nil }
        let headers = (fields["headers"] ?? "date").lowercased().split(separator: " ").map(String.init)
        guard !headers.isEmpty, headers.count <= 32 else { return nil }
        func seconds(_ key: String) -> Int64?? {
            guard let text = fields[key] else { return .some(nil) }
            guard let value = Int64(text), value >= 0 else { return nil }
            return .some(value)
        }
        guard let created = seconds("created"), let expires = seconds("expires") else { return nil }
        return HTTPSignature(
            keyID: keyID, algorithm: fields["algorithm"]?.lowercased(), headers: headers, signature: Array(signature),
            created: created, expires: expires)
    }

    /// The header value to send.
    public var headerValue: String {
        var parts = ["keyId=\"\(keyID)\""]
        if let algorithm { parts.append("algorithm=\"\(algorithm)\"") }
        parts.append("headers=\"\(headers.joined(separator: " "))\"")
        parts.append("signature=\"\(Data(signature).base64EncodedString())\"")
        return parts.joined(separator: ",")
    }

    /// The text the signature covers: one `name: value` line per covered header, where
    /// `(request-target)` is `method path?query` (method lowercased). Nil when a covered header
    /// is missing from the request.
    public static func signingString(
        headers: [String], method: String, target: String, created: Int64? = nil, expires: Int64? = nil,
        value: (String) -> String?
    ) -> String? {
        var lines: [String] = []
        for name in headers {
            switch name {
            case "(request-target)": lines.append("(request-target): \(method.lowercased()) \(target)")
            case "(created)":
                guard let created else { return nil }
                lines.append("(created): \(created)")
            case "(expires)":
                guard let expires else { return nil }
                lines.append("(expires): \(expires)")
            default:
                guard let text = value(name) else { return nil }
                lines.append("\(name): \(text.trimmingCharacters(in: .whitespaces))")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// The value of a `Digest` header's `SHA-256=` entry, decoded; nil if there is none.
    public static func sha256Digest(fromHeader text: String) -> [UInt8]? {
        guard text.utf8.count <= 1024 else { return nil }
        for part in text.split(separator: ",") {
            let trimmed = part.trimmingCharacters(in: .whitespaces)
            guard let equals = trimmed.firstIndex(of: "=") else { continue }
            guard trimmed[..<equals].lowercased() == "sha-256" else { continue }
            return Data(base64Encoded: String(trimmed[trimmed.index(after: equals)...])).map(Array.init)
        }
        return nil
    }
}

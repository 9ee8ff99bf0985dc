import Crypto
import Foundation

/// A webhook request's body and headers for one destination format. Standard Webhooks: signed
/// JSON (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256 of
/// id.timestamp.body>`, the key being the base64 after `whsec_`); ntfy and Gotify: their own
/// publish formats, the secret being an access token.
struct WebhookMessage: Sendable {
    var body: Data
    var headers: [(String, String)]

    struct Item: Codable, Sendable, Equatable {
        var eventId: String
        var type: String
        var severity: String
        var title: String
        var body: String
        var url: String?
        var rules: [String]
    }

    /// `id`: the batch's message id, the same on every retry.
    static func make(
        format: NotificationDestination.Format, id: String, timestamp: Int64, items: [Item], secret: String?, digestTitle: String
    ) throws -> WebhookMessage {
        let single = items.count == 1 ? items.first : nil
        let title = single?.title ?? digestTitle
        let text = single?.body.isEmpty == false ? single?.body ?? "" : items.map { "• \($0.title)" }.joined(separator: "\n")
        let priority = items.map { severityRank($0.severity) }.max() ?? 0
        switch format {
        case .standard:
            struct Envelope: Encodable {
                var type: String
                var timestamp: String
                var data: Data
                struct Data: Encodable {
                    var title: String
                    var items: [Item]
                }
            }
            let envelope = Envelope(
                type: single?.type ?? "notification.digest",
                timestamp: Date(timeIntervalSince1970: TimeInterval(timestamp)).formatted(.iso8601),
                data: .init(title: title, items: items))
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let body = try encoder.encode(envelope)
            var headers = [("Content-Type", "application/json"), ("webhook-id", id), ("webhook-timestamp", String(timestamp))]
            if let secret, let signature = sign(id: id, timestamp: timestamp, body: body, secret: secret) {
                headers.append(("webhook-signature", signature))
            }
            return WebhookMessage(body: body, headers: headers)
        case .ntfy:
            // The body is the message; headers carry the rest (non-ASCII titles RFC 2047-encoded, which ntfy decodes).
            var headers = [("Content-Type", "text/plain; charset=utf-8"), ("Title", headerSafe(title)), ("Priority", String([3, 4, 5][priority]))]
            headers.append(("Tags", ["bell", "warning", "rotating_light"][priority]))
            if let url = single?.url { headers.append(("Click", url)) }
            if let secret { headers.append(("Authorization", "Bearer \(secret)")) }
            headers.append(("X-Cadenza-Message-Id", id))
            return WebhookMessage(body: Data((text.isEmpty ? title : text).utf8), headers: headers)
        case .gotify:
            struct GotifyMessage: Encodable {
                var title: String
                var message: String
                var priority: Int
                var extras: [String: [String: [String: String]]]?
            }
            let message = GotifyMessage(
                title: title, message: text.isEmpty ? title : text, priority: [4, 6, 8][priority],
                extras: single?.url.map { ["client::notification": ["click": ["url": $0]]] })
            var headers = [("Content-Type", "application/json"), ("X-Cadenza-Message-Id", id)]
            if let secret { headers.append(("X-Gotify-Key", secret)) }
            return WebhookMessage(body: try JSONEncoder().encode(message), headers: headers)
        }
    }

    static func severityRank(_ severity: String) -> Int { EventSeverity(rawValue: severity)?.rank ?? 0 }

    /// `v1,<signature>`, or nil when the secret is not `whsec_` + base64.
    static func sign(id: String, timestamp: Int64, body: Data, secret: String) -> String? {
        guard let key = signingKey(secret) else { return nil }
        var signed = Data("\(id).\(timestamp).".utf8)
        signed.append(body)
        let mac = HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: key))
        return "v1," + Data(mac).base64EncodedString()
    }

    static func signingKey(_ secret: String) -> Data? {
        guard secret.hasPrefix("whsec_"), let key = Data(base64Encoded: String(secret.dropFirst(6))), key.count >= 16, key.count <= 64
        else { return nil }
        return key
    }

    /// A fresh `whsec_` secret (24 random bytes).
    static func newSecret() -> String {
        "whsec_" + Data(SymmetricKey(size: SymmetricKeySize(bitCount: 192)).withUnsafeBytes { Array($0) }).base64EncodedString()
    }

    /// A header value with no line breaks; non-ASCII as an RFC 2047 word.
    static func headerSafe(_ text: String) -> String {
        let flat = text.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
        if flat.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 0x20 && $0.value != 0x7F }) { return String(flat.prefix(250)) }
        return "=?UTF-8?B?\(Data(String(flat.prefix(120)).utf8).base64EncodedString())?="
    }
}

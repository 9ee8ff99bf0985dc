import CadenzaFormats
import Crypto
import Foundation
import _CryptoExtras

/// Signs outgoing requests the way Mastodon and bovine expect: POSTs cover
/// `(request-target) host date digest content-type`, GETs `(request-target) host date accept`,
/// RSA-SHA256 (PKCS#1 v1.5), `keyId` the actor's `#main-key`.
enum RequestSigner {
    static let activityType = "application/activity+json"
    static let accept = "application/activity+json, application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\""

    /// The headers to send with the request (Host, Date, Digest, Content-Type or Accept, Signature).
    static func headers(
        method: String, url: URL, body: [UInt8]?, accept: String = accept, keyID: String, key: _RSA.Signing.PrivateKey,
        now: Date = Date()
    ) throws -> [(String, String)] {
        guard let host = OutboundAddress.hostHeader(url) else { throw FederationError.refused("\(url) has no host") }
        var headers: [(String, String)] = [("host", host), ("date", httpDate(now))]
        var covered = ["(request-target)", "host", "date"]
        if let body {
            headers.append(("digest", digestHeader(body)))
            headers.append(("content-type", activityType))
            covered += ["digest", "content-type"]
        } else {
            headers.append(("accept", accept))  // signed: authorized-fetch peers check it
            covered.append("accept")
        }
        let values = Dictionary(headers, uniquingKeysWith: { first, _ in first })
        guard
            let text = HTTPSignature.signingString(
                headers: covered, method: method, target: requestTarget(url), value: { values[$0] })
        else { throw FederationError.internal("nothing to sign") }
        let signature = try key.signature(for: Data(text.utf8), padding: .insecurePKCS1v1_5)
        let header = HTTPSignature(keyID: keyID, algorithm: "rsa-sha256", headers: covered, signature: Array(signature.rawRepresentation))
        return headers + [("signature", header.headerValue)]
    }

    /// `path?query`, as the receiver sees it in its request line.
    static func requestTarget(_ url: URL) -> String {
        let components = URLComponents(url: url, resolvingAgainstBaseURL: false)
        let path = components?.percentEncodedPath.isEmpty == false ? components?.percentEncodedPath ?? "/" : "/"
        return components?.percentEncodedQuery.map { "\(path)?\($0)" } ?? path
    }

    static func digestHeader(_ body: [UInt8]) -> String {
        "SHA-256=" + Data(SHA256.hash(data: body)).base64EncodedString()
    }

    /// RFC 7231 IMF-fixdate, e.g. `Sat, 05 Dec 2026 17:19:27 GMT`.
    static func httpDate(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .current
        let parts = calendar.dateComponents([.weekday, .day, .month, .year, .hour, .minute, .second], from: date)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ n: Int?) -> String { String(format: "%02d", n ?? 0) }
        return "\(days[((parts.weekday ?? 1) - 1) % 7]), \(two(parts.day)) \(months[((parts.month ?? 1) - 1) % 12]) "
            + "\(String(format: "%04d", parts.year ?? 1970)) \(two(parts.hour)):\(two(parts.minute)):\(two(parts.second)) GMT"
    }

    /// Parses an IMF-fixdate (the only form senders use here); nil otherwise.
    static func parseHTTPDate(_ text: String) -> Date? {
        guard text.utf8.count <= 64 else { return nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: text)
    }
}

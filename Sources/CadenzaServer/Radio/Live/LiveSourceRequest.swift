import Foundation

/// The head of what an Icecast source client sends (BUTT, Mixxx, ffmpeg): `SOURCE /mount` or
/// `PUT /mount` with Basic credentials, or a metadata update `GET /admin/metadata?...`.
/// Parsed by hand: the stream that follows has no length, which no HTTP server takes.
struct LiveSourceRequest: Equatable {
    enum Kind: Equatable {
        case source(slug: String)
        case metadata(slug: String, title: String)
    }

    var kind: Kind
    var username: String
    var password: String
    var expectsContinue: Bool
    /// A body sent with chunked framing (refused: the framing would reach the decoder).
    var chunked: Bool

    static let maxHeadBytes = 8_192

    /// Nil when it is not a source or metadata request with credentials.
    init?(head: String) {
        let lines = head.components(separatedBy: "\r\n")
        let parts = lines.first?.split(separator: " ", omittingEmptySubsequences: true) ?? []
        guard parts.count == 3, parts[2].hasPrefix("HTTP/1.") else { return nil }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()] = line[line.index(after: colon)...]
                .trimmingCharacters(in: .whitespaces)
        }
        guard let authorization = headers["authorization"], authorization.lowercased().hasPrefix("basic "),
            let decoded = Data(base64Encoded: String(authorization.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
            let credentials = String(data: decoded, encoding: .utf8), let colon = credentials.firstIndex(of: ":")
        else { return nil }
        username = String(credentials[..<colon])
        password = String(credentials[credentials.index(after: colon)...])
        expectsContinue = headers["expect"]?.lowercased() == "100-continue"
        chunked = headers["transfer-encoding"]?.lowercased().contains("chunked") == true
        let method = parts[0], target = String(parts[1])
        switch method {
        case "SOURCE", "PUT":
            guard let slug = Self.slug(mount: target) else { return nil }
            kind = .source(slug: slug)
        case "GET":
            let pieces = target.split(separator: "?", maxSplits: 1)
            guard pieces.first == "/admin/metadata", pieces.count == 2 else { return nil }
            // Form encoding: "+" is a space (clients send titles either way).
            var query: [String: String] = [:]
            for pair in pieces[1].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let decode = { (text: Substring) in text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
                query[decode(kv[0])] = kv.count == 2 ? decode(kv[1]) : ""
            }
            guard query["mode"] == "updinfo", let mount = query["mount"], let slug = Self.slug(mount: mount), let song = query["song"] else {
                return nil
            }
            kind = .metadata(slug: slug, title: String(song.prefix(300)))
        default:
            return nil
        }
    }

    /// The station of a mount: `/live/SLUG` (or `/SLUG`).
    static func slug(mount: String) -> String? {
        var path = mount.split(separator: "?").first.map(String.init) ?? mount
        if path.hasPrefix("/live/") { path = String(path.dropFirst(6)) } else if path.hasPrefix("/") { path = String(path.dropFirst()) }
        return Stations.validSlug(path) ? path : nil
    }
}

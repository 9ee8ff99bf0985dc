import CadenzaPlayout
import Foundation

/// A server a station relays its stream to as the source client, as AzuraCast's remote relays:
/// an Icecast mount (`icecast://source:password@host:8000/radio.mp3`) or a SHOUTcast server
/// (`shoutcast://:password@host:8000`, stream N of a v2 server as `…:8000/N`), in MP3 or, with
/// `?format=aac`, AAC. Checked once when set; stored sealed, one per line.
struct PushTarget: Sendable, Equatable {
    enum Kind: String, Sendable { case icecast, shoutcast }

    var kind: Kind
    /// Without the brackets of an IPv6 literal.
    var host: String
    /// The port listeners use (a SHOUTcast source connects to the one above it).
    var port: Int
    /// Icecast: the mount (`/radio.mp3`); SHOUTcast: "" or `/N` for stream N.
    var mount: String
    /// Icecast's source user; SHOUTcast has none.
    var user: String
    var password: String
    var format: Encoder.Format

    /// Relays a station may have: each is one more connection fed for as long as it airs.
    static let maximum = 4

    init(parsing text: String) throws {
        let example = "icecast://source:password@host:8000/radio.mp3 or shoutcast://:password@host:8000"
        guard text.count <= 500, let url = URLComponents(string: text), let kind = url.scheme.flatMap(Kind.init(rawValue:)),
            var host = url.host, !host.isEmpty, host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || ".-:[]".contains($0)) })
        else { throw APIError.unprocessable("A push URL must look like \(example).") }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, !host.contains("[") else { throw APIError.unprocessable("A push URL's host is not a host name or address.") }
        // A SHOUTcast source connects to the port above the one given.
        guard let port = url.port, (1...(kind == .shoutcast ? 65_534 : 65_535)).contains(port) else {
            throw APIError.unprocessable("A push URL needs a port (1 to 65535; SHOUTcast's listener port, below 65535).")
        }
        let mount = url.path
        switch kind {
        case .icecast:
            guard mount.count >= 2, mount.count <= 200, mount.hasPrefix("/"),
                mount.dropFirst().allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-/".contains($0)) }), !mount.contains("..")
            else { throw APIError.unprocessable("An Icecast push URL's mount must be a path such as /radio.mp3.") }
        case .shoutcast:
            guard mount.isEmpty || mount == "/" || Self.streamID(mount) != nil else {
                throw APIError.unprocessable("A SHOUTcast push URL names no path, or a stream number (…:8000/2).")
            }
        }
        // SHOUTcast has no user: the password alone (`:password@` or `password@`).
        let user = kind == .icecast ? url.user ?? "" : ""
        let password = kind == .icecast ? url.password ?? "" : url.password ?? url.user ?? ""
        // (A colon in the user would end it early in Basic authentication.)
        guard password.count <= 200, user.count <= 100, !password.isEmpty, kind == .shoutcast || !user.isEmpty, !user.contains(":"),
            !(user + password).unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else {
            throw APIError.unprocessable(
                kind == .icecast
                    ? "An Icecast push URL needs the source user and password (icecast://source:password@…)."
                    : "A SHOUTcast push URL needs the source password (shoutcast://:password@…).")
        }
        var format = Encoder.Format.mp3
        for item in url.queryItems ?? [] {
            guard item.name == "format", let value = item.value.flatMap(Encoder.Format.init(rawValue:)) else {
                throw APIError.unprocessable("A push URL takes one option, format=mp3 or format=aac.")
            }
            format = value
        }
        self.kind = kind
        self.host = host
        self.port = port
        // Stream 1 is `/1`, however it was written (`/001` is the same relay).
        self.mount = kind == .shoutcast ? Self.streamID(mount).map { "/\($0)" } ?? "" : mount
        self.user = user
        self.password = password
        self.format = format
    }

    /// The stream number of a SHOUTcast v2 server, from `/N` (1–999).
    private static func streamID(_ path: String) -> Int? {
        let digits = path.dropFirst()
        guard path.hasPrefix("/"), (1...3).contains(digits.count), digits.allSatisfy({ $0.isASCII && $0.isNumber }), let id = Int(digits),
            id >= 1
        else { return nil }
        return id
    }

    var streamID: Int? { kind == .shoutcast ? Self.streamID(mount) : nil }

    /// Where the source connects: a SHOUTcast server takes sources on the port above its listeners'.
    var sourcePort: Int { kind == .shoutcast ? port + 1 : port }

    /// `host:port` as it appears in a URL or a Host header.
    var authority: String { "\(host.contains(":") ? "[\(host)]" : host):\(port)" }

    private var options: String { format == .mp3 ? "" : "?format=\(format.rawValue)" }

    /// Stored (sealed): parses back to the same target.
    var url: String {
        var components = URLComponents()
        components.scheme = kind.rawValue
        components.user = user
        components.password = password
        return "\(kind.rawValue)://\(components.percentEncodedUser ?? ""):\(components.percentEncodedPassword ?? "")@\(authority)\(mount)\(options)"
    }

    /// Shown back in the API: the password never leaves the server.
    var redacted: String { "\(kind.rawValue)://\(user):***@\(authority)\(mount)\(options)" }

    /// Two targets are the same relay when they reach the same stream.
    var destination: String { "\(kind.rawValue) \(authority)\(mount)" }

    /// A station's relays as stored (one URL per line), skipping any that no longer parse.
    static func list(stored text: String?) -> [PushTarget] {
        (text ?? "").split(separator: "\n").compactMap { try? PushTarget(parsing: String($0)) }
    }

    /// Checked relays for a station: at most `maximum`, none twice.
    static func list(parsing urls: [String]) throws -> [PushTarget] {
        guard urls.count <= maximum else { throw APIError.unprocessable("A station relays to at most \(maximum) servers.") }
        let targets = try urls.map(PushTarget.init(parsing:))
        guard Set(targets.map(\.destination)).count == targets.count else {
            throw APIError.unprocessable("The same relay is listed twice.")
        }
        return targets
    }

    /// What is stored for `targets` (nil for none).
    static func stored(_ targets: [PushTarget]) -> String? {
        targets.isEmpty ? nil : targets.map(\.url).joined(separator: "\n")
    }
}

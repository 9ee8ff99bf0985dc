import Foundation

/// Where the server may send a request it was given an address for (webhooks, federation):
/// http(s) URLs without credentials, and (unless the operator allows private networks) only to
/// hosts whose every address is public, so a user or a peer cannot make the server call its own
/// admin ports or the LAN.
enum OutboundAddress {
    enum Problem: Error, CustomStringConvertible {
        case invalid(String)
        case privateAddress(String)
        /// The name did not resolve (now): worth trying again later.
        case unresolved(String)
        var description: String {
            switch self {
            case .invalid(let why): why
            case .unresolved(let host): "\(host) does not resolve"
            case .privateAddress(let host): "\(host) is a loopback or private-network address (an administrator setting allows it)"
            }
        }
    }

    /// Checks the URL's shape (no network).
    static func parse(_ text: String) throws -> URL {
        guard text.utf8.count <= 2000, let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = url.host, !host.isEmpty
        else { throw Problem.invalid("an http:// or https:// URL is needed") }
        guard url.user == nil, url.password == nil else { throw Problem.invalid("put credentials in the secret, not the URL") }
        return url
    }

    /// Resolves the host and refuses private addresses unless allowed. Returns the URL to
    /// connect to: for plain http, the checked address itself (the caller sends the name as
    /// `Host`), so a second lookup cannot be answered with another address (DNS rebinding);
    /// https keeps the name, and the certificate must match it.
    static func check(_ url: URL, allowPrivate: Bool) async throws -> URL {
        guard !allowPrivate, let host = url.host else { return url }
        let addresses = await runBlocking { resolve(host) }
        guard let first = addresses.first else { throw Problem.unresolved(host) }
        if addresses.contains(where: isPrivate) { throw Problem.privateAddress(host) }
        guard url.scheme?.lowercased() == "http", var components = URLComponents(url: url, resolvingAgainstBaseURL: false) else { return url }
        components.host = literal(first)
        return components.url ?? url
    }

    /// host[:port] of an absolute http(s) URL, lowercased, without a trailing dot, the port only
    /// when it is not the scheme's own: a domain as policies and peers know it (two instances on
    /// one host are two domains; `evil.com`, `evil.com.` and `evil.com:443` are one).
    static func authority(of uri: String) -> String? {
        guard let components = URLComponents(string: uri), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", var host = components.host?.lowercased(), !host.isEmpty
        else { return nil }
        while host.hasSuffix(".") { host.removeLast() }
        guard !host.isEmpty else { return nil }
        let bracketed = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        let port = components.port.flatMap { (scheme == "https" && $0 == 443) || (scheme == "http" && $0 == 80) ? nil : $0 }
        return port.map { "\(bracketed):\($0)" } ?? bracketed
    }

    /// The `Host` header for `url` (with its port when not the default).
    static func hostHeader(_ url: URL) -> String? {
        guard let host = url.host else { return nil }
        return url.port.map { "\(host):\($0)" } ?? host
    }

    static func literal(_ bytes: [UInt8]) -> String {
        if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
        var groups: [String] = []
        for i in stride(from: 0, to: bytes.count - 1, by: 2) { groups.append(String(UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1]), radix: 16)) }
        return "[" + groups.joined(separator: ":") + "]"
    }

    static func resolve(_ host: String) -> [[UInt8]] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        guard getaddrinfo(bare, nil, &hints, &result) == 0, let first = result else { return [] }
        defer { freeaddrinfo(first) }
        var addresses: [[UInt8]] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor {
            if info.pointee.ai_family == AF_INET, let raw = info.pointee.ai_addr {
                raw.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                    addresses.append(withUnsafeBytes(of: sin.pointee.sin_addr) { Array($0) })
                }
            } else if info.pointee.ai_family == AF_INET6, let raw = info.pointee.ai_addr {
                raw.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin6 in
                    addresses.append(withUnsafeBytes(of: sin6.pointee.sin6_addr) { Array($0) })
                }
            }
            cursor = info.pointee.ai_next
        }
        return addresses
    }

    /// Loopback, private, link-local, carrier-grade NAT, unspecified, multicast (IPv4 and IPv6,
    /// IPv4-mapped included).
    static func isPrivate(_ bytes: [UInt8]) -> Bool {
        if bytes.count == 16 {
            if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF { return isPrivate(Array(bytes[12..<16])) }
            if bytes.allSatisfy({ $0 == 0 }) { return true }  // ::
            if bytes[0..<15].allSatisfy({ $0 == 0 }) && bytes[15] == 1 { return true }  // ::1
            if bytes[0] & 0xFE == 0xFC { return true }  // fc00::/7
            if bytes[0] == 0xFE && bytes[1] & 0xC0 == 0x80 { return true }  // fe80::/10
            if bytes[0] == 0xFF { return true }  // multicast
            if bytes[0] == 0xFE && bytes[1] & 0xC0 == 0xC0 { return true }  // fec0::/10 (old site-local)
            // IPv4-compatible (::a.b.c.d), local-use NAT64 (64:ff9b:1::/48) and Teredo (2001::/32): judge the IPv4 inside.
            if bytes[0..<12].allSatisfy({ $0 == 0 }) { return isPrivate(Array(bytes[12..<16])) }
            if Array(bytes[0..<6]) == [0, 0x64, 0xFF, 0x9B, 0, 1] { return true }
            if bytes[0] == 0x20 && bytes[1] == 0x01 && bytes[2] == 0 && bytes[3] == 0 { return isPrivate(Array(bytes[12..<16]).map { ~$0 }) }
            // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) carry an IPv4 address: judge that one.
            if Array(bytes[0..<12]) == [0, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0] { return isPrivate(Array(bytes[12..<16])) }
            if bytes[0] == 0x20 && bytes[1] == 0x02 { return isPrivate(Array(bytes[2..<6])) }
            return false
        }
        guard bytes.count == 4 else { return true }
        switch (bytes[0], bytes[1]) {
        case (0, _), (10, _), (127, _): return true
        case (169, 254), (192, 168): return true
        case (172, 16...31): return true
        case (100, 64...127): return true
        case (192, 0) where bytes[2] == 0: return true  // 192.0.0.0/24, IETF protocol assignments
        case (198, 18...19): return true  // benchmarking
        case (224...255, _): return true
        default: return false
        }
    }
}

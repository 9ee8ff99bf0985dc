import Foundation
import Vapor

/// An address block from `CADENZA_TRUSTED_PROXIES`: `10.0.0.0/8`, `127.0.0.1`, `::1`, `fd00::/8`.
public struct AddressRange: Sendable, Equatable, CustomStringConvertible {
    let network: [UInt8]
    let prefix: Int

    public init?(_ text: String) {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: "/", maxSplits: 1).map(String.init)
        guard let first = parts.first, let bytes = Self.bytes(of: first) else { return nil }
        let bits = bytes.count * 8
        if parts.count == 2 {
            guard parts[1].count <= 3, let prefix = Int(parts[1]), (0...bits).contains(prefix) else { return nil }
            self.prefix = prefix
        } else {
            self.prefix = bits
        }
        network = bytes
    }

    public var description: String { "\(network.count == 4 ? network.map(String.init).joined(separator: ".") : "ipv6")/\(prefix)" }

    func contains(_ address: [UInt8]) -> Bool {
        guard address.count == network.count else { return false }
        var remaining = prefix
        for (a, b) in zip(address, network) where remaining > 0 {
            let take = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - take))
            if a & mask != b & mask { return false }
            remaining -= take
        }
        return true
    }

    /// The 4 or 16 bytes of a textual address (an IPv4-mapped IPv6 address counts as IPv4).
    static func bytes(of text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF { return Array(bytes[12...]) }
        return bytes
    }
}

extension Request {
    /// The client's address for rate limits and logs. Behind a proxy listed in
    /// `CADENZA_TRUSTED_PROXIES`, it is the right-most `X-Forwarded-For` entry that is not itself a
    /// trusted proxy; from anyone else the header is ignored (a client could write anything there).
    var clientIP: String {
        let peer = remoteAddress?.ipAddress ?? "unknown"
        guard let trusted = try? application.settings.trustedProxies, !trusted.isEmpty else { return peer }
        func isTrusted(_ address: String) -> Bool {
            guard let bytes = AddressRange.bytes(of: address) else { return false }
            return trusted.contains { $0.contains(bytes) }
        }
        guard isTrusted(peer) else { return peer }
        let forwarded = headers[.xForwardedFor].flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
        for address in forwarded.reversed() where !isTrusted(address) {
            return AddressRange.bytes(of: address) != nil ? address : peer
        }
        return forwarded.first ?? peer
    }
}

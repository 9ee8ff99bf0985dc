import Foundation

/// An address and, perhaps, a display name: `Cadenza <cadenza@example.org>` or `cadenza@example.org`.
public struct MailAddress: Sendable, Equatable, CustomStringConvertible {
    public private(set) var name: String?
    /// Checked once, here: it goes into SMTP commands and headers as it is.
    public private(set) var address: String

    public init(name: String? = nil, address: String) throws(MailAddressError) {
        guard Self.isValid(address) else { throw MailAddressError(address: address) }
        self.name = name.map(MailHeader.singleLine).flatMap { $0.isEmpty ? nil : $0 }
        self.address = address
    }

    /// Parses `Name <address>` or a bare address.
    public init(parsing raw: String) throws(MailAddressError) {
        let text = raw.trimmingCharacters(in: .whitespaces)
        if text.hasSuffix(">"), let open = text.lastIndex(of: "<") {
            var name = text[..<open].trimmingCharacters(in: .whitespaces)
            if name.hasPrefix("\""), name.hasSuffix("\""), name.count >= 2 { name = String(name.dropFirst().dropLast()) }
            try self.init(name: name, address: String(text[text.index(after: open)..<text.index(before: text.endIndex)]))
        } else {
            try self.init(address: text)
        }
    }

    /// One `@`, a local part and a domain of printable ASCII without spaces, brackets, quotes or
    /// line breaks (nothing that could end an SMTP command or a header early), at most 254 bytes.
    public static func isValid(_ address: String) -> Bool {
        let bytes = Array(address.utf8)
        guard bytes.count <= 254, let at = bytes.lastIndex(of: UInt8(ascii: "@")), at > 0, at < bytes.count - 1 else { return false }
        guard bytes.filter({ $0 == UInt8(ascii: "@") }).count == 1 else { return false }
        let forbidden: Set<UInt8> = Set("<>()[],;:\\\"".utf8)
        guard bytes.allSatisfy({ $0 > 0x20 && $0 < 0x7F && !forbidden.contains($0) }) else { return false }
        let domain = bytes[(at + 1)...]
        return domain.contains(UInt8(ascii: ".")) && domain.first != UInt8(ascii: ".") && domain.last != UInt8(ascii: ".")
    }

    /// The domain after the `@`.
    public var domain: String { String(address[address.index(after: address.lastIndex(of: "@") ?? address.startIndex)...]) }

    /// As a header's value (the name encoded when it is not plain ASCII).
    var headerValue: String {
        guard let name else { return address }
        return "\(MailHeader.phrase(name)) <\(address)>"
    }

    public var description: String { headerValue }
}

public struct MailAddressError: Error, CustomStringConvertible, Sendable {
    public let address: String
    public var description: String { "not a mail address: \(address.prefix(80))" }
}

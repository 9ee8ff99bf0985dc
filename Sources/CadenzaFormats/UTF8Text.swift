/// Writers of JSON string literals, XML text and hex digits straight into UTF-8 bytes. Every
/// character they escape is ASCII, so multi-byte sequences pass through untouched and no
/// per-scalar walk is needed; most strings have nothing to escape and are copied whole.
public enum UTF8Text {
    /// A JSON string literal.
    public static func jsonQuote(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        copyEscaping(s, into: &out, needs: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) { byte, out in
            switch byte {
            case UInt8(ascii: "\""): out += [0x5C, 0x22]
            case UInt8(ascii: "\\"): out += [0x5C, 0x5C]
            case 0x0A: out += [0x5C, UInt8(ascii: "n")]
            case 0x0D: out += [0x5C, UInt8(ascii: "r")]
            case 0x09: out += [0x5C, UInt8(ascii: "t")]
            default: out += Array("\\u00".utf8) + [hexDigit(byte >> 4), hexDigit(byte & 0xF)]
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Text for an XML attribute value or element; control characters other than tab and line
    /// breaks are not allowed in XML 1.0 at all and are dropped.
    public static func xmlEscape(_ s: String, into out: inout [UInt8]) {
        copyEscaping(
            s, into: &out,
            needs: {
                $0 < 0x20 || $0 == UInt8(ascii: "&") || $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: ">")
                    || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "'")
            }
        ) { byte, out in
            switch byte {
            case UInt8(ascii: "&"): out += Array("&amp;".utf8)
            case UInt8(ascii: "<"): out += Array("&lt;".utf8)
            case UInt8(ascii: ">"): out += Array("&gt;".utf8)
            case UInt8(ascii: "\""): out += Array("&quot;".utf8)
            case UInt8(ascii: "'"): out += Array("&apos;".utf8)
            case 0x0A: out += Array("&#10;".utf8)
            case 0x0D: out += Array("&#13;".utf8)
            case 0x09: out += Array("&#9;".utf8)
            default: break
            }
        }
    }

    /// Lowercase hex of bytes (digests, tokens).
    public static func hex<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes { out += [hexDigit(byte >> 4), hexDigit(byte & 0xF)] }
        return String(decoding: out, as: UTF8.self)
    }

    public static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }

    private static func copyEscaping(
        _ s: String, into out: inout [UInt8], needs: (UInt8) -> Bool,
        escape: (UInt8, inout [UInt8]) -> Void
    ) {
        var s = s
        s.withUTF8 { bytes in
            var start = 0
            for index in bytes.indices where needs(bytes[index]) {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
                escape(bytes[index], &out)
                start = index + 1
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...]))
        }
    }
}

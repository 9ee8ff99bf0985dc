import Foundation

/// Normalised names for matching and sorting.
public enum NameKey {
    /// The matching key: Unicode compatibility-normalised, case-folded, whitespace collapsed.
    /// "The Beatles", "the  beatles" and "ＴＨＥ BEATLES" share one key.
    public static func make(_ name: String) -> String {
        if let ascii = asciiKey(name) { return ascii }
        return name.precomposedStringWithCompatibilityMapping
            .lowercased()
            .split(whereSeparator: { $0.isWhitespace })
            .joined(separator: " ")
    }

    /// ``make(_:)`` for ASCII names without Foundation's normalisation (the identity on ASCII),
    /// which a scan or an import otherwise pays for every artist, album and title; nil otherwise.
    static func asciiKey(_ name: String) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(name.utf8.count)
        var pendingSpace = false
        for byte in name.utf8 {
            guard byte < 0x80 else { return nil }
            if byte == 0x20 || (0x09...0x0D).contains(byte) {
                pendingSpace = !bytes.isEmpty
                continue
            }
            if pendingSpace {
                bytes.append(0x20)
                pendingSpace = false
            }
            bytes.append((0x41...0x5A).contains(byte) ? byte + 0x20 : byte)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The sort form: the matching key with a leading English article moved away ("The Who" → "who").
    public static func sort(_ name: String) -> String {
        let key = make(name)
        for article in ["the ", "a ", "an "] where key.hasPrefix(article) && key.count > article.count {
            return String(key.dropFirst(article.count))
        }
        return key
    }
}

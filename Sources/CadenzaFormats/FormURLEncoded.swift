import Foundation

/// `application/x-www-form-urlencoded` text (query strings and form bodies): split into pairs,
/// each part decoded on demand, so every protocol keeps its own rule for what fails to decode.
public enum FormURLEncoded {
    /// `a=1&b&c=` → [("a", "1"), ("b", nil), ("c", "")], undecoded; empty pieces are skipped.
    public static func pairs(_ text: String) -> [(name: Substring, value: Substring?)] {
        text.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (parts[0], parts.count > 1 ? parts[1] : nil)
        }
    }

    /// `+` is a space; nil when the percent-encoding is broken.
    public static func decode(_ text: Substring) -> String? {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }
}

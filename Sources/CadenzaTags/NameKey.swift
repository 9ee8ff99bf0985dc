import Foundation

/// Normalised names for matching and sorting.
public enum NameKey {
    /// The matching key: Unicode compatibility-normalised, case-folded, whitespace collapsed.
    /// "The Beatles", "the  beatles" and "ＴＨＥ BEATLES" share one key.
    public static func make(_ name: String) -> String {
        name.precomposedStringWithCompatibilityMapping
            .lowercased()
            .split(whereSeparator: { $0.isWhitespace })
            .joined(separator: " ")
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

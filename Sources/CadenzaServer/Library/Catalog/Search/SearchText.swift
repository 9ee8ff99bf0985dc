import CadenzaTags
import Foundation

/// The form names are searched in: the matching key (case-folded, compatibility-normalised)
/// with accents dropped, apostrophes removed and other punctuation read as a space, so
/// "Beyoncé", "BEYONCE" and "beyonce" meet, and so do "AC/DC" and "ac dc", "Don't" and "dont".
enum SearchText {
    static func fold(_ text: String) -> String {
        let key = NameKey.make(text).folding(options: [.diacriticInsensitive, .widthInsensitive, .caseInsensitive], locale: nil)
        var out = String.UnicodeScalarView()
        var gap = false
        for scalar in key.unicodeScalars {
            if scalar == "'" || scalar == "\u{2019}" || scalar == "\u{02BC}" { continue }
            if scalar.properties.isAlphabetic || scalar.properties.numericType != nil {
                if gap, !out.isEmpty { out.append(" ") }
                gap = false
                out.append(scalar)
            } else {
                gap = true
            }
        }
        return String(out)
    }

    /// Whether a text has a letter or digit (a query of punctuation alone, "%" or "!!!", is
    /// matched against the names as written instead of folded).
    static func hasWords(_ text: String) -> Bool {
        text.unicodeScalars.contains { $0.properties.isAlphabetic || $0.properties.numericType != nil }
    }

    /// A folded text's words, each as Unicode scalar values (so an edit is one character, whatever its UTF-8 length).
    static func words(_ folded: String) -> [[UInt32]] {
        folded.split(separator: " ").map { $0.unicodeScalars.map(\.value) }
    }

    /// Letters present, one bit each (folded modulo 64): two words within `d` edits differ in at
    /// most `2d` bits, which rules most of a vocabulary out before any distance is computed.
    static func mask(_ word: some Sequence<UInt32>) -> UInt64 {
        word.reduce(UInt64(0)) { $0 | (1 << UInt64($1 % 64)) }
    }

    /// Edits a query word of this many characters may carry and still match (Typesense-like:
    /// none for one or two characters, one up to five, two from six).
    static func typoLimit(_ length: Int) -> Int {
        length <= 2 ? 0 : length <= 5 ? 1 : 2
    }
}

/// Optimal string alignment distance: insertions, deletions, substitutions and swaps of
/// neighbours count one edit each ("teh" is one edit from "the").
enum EditDistance {
    /// The distance, or nil as soon as it must exceed `limit`.
    static func osa(_ a: [UInt32], _ b: [UInt32], limit: Int) -> Int? { osa(a, b[...], limit: limit) }

    static func osa(_ a: [UInt32], _ slice: ArraySlice<UInt32>, limit: Int) -> Int? {
        let b = slice, o = slice.startIndex - 1  // b[o + j] is the j-th character, 1-based
        let n = a.count, m = b.count
        guard abs(n - m) <= limit else { return nil }
        if n == 0 || m == 0 { return max(n, m) <= limit ? max(n, m) : nil }
        var twoBack = [Int](repeating: 0, count: m + 1)
        var previous = Array(0...m)
        var current = [Int](repeating: 0, count: m + 1)
        for i in 1...n {
            current[0] = i
            var rowMin = i
            for j in 1...m {
                let cost = a[i - 1] == b[o + j] ? 0 : 1
                var value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[o + j - 1], a[i - 2] == b[o + j] { value = min(value, twoBack[j - 2] + 1) }
                current[j] = value
                rowMin = min(rowMin, value)
            }
            if rowMin > limit { return nil }
            (twoBack, previous, current) = (previous, current, twoBack)
        }
        return previous[m] <= limit ? previous[m] : nil
    }
}

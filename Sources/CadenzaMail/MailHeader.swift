import Foundation

/// Header values: kept to one line (a value can never start a header of its own) and encoded
/// as RFC 2047 words when they are not plain ASCII.
enum MailHeader {
    /// Line breaks and other controls become spaces.
    static func singleLine(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : $0 }))
    }

    static func isPlainASCII(_ text: String) -> Bool {
        text.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F }
    }

    /// An unstructured value (a subject): as it is when plain ASCII and short, otherwise
    /// `=?UTF-8?B?…?=` words of at most 36 bytes each (60 characters) (never splitting a character), folded.
    static func unstructured(_ raw: String) -> String {
        let text = singleLine(raw)
        if isPlainASCII(text), text.utf8.count <= 60, !text.contains("=?") { return text }
        if isPlainASCII(text), !text.contains("=?") { return folded(text) }
        return encodedWords(text).joined(separator: "\r\n ")
    }

    /// A structured value (`List-Unsubscribe: <https://…>`): plain ASCII is folded at spaces but
    /// never encoded, since a reader does not decode encoded words there (a long URL would stop
    /// being one); a word may then run past 78 characters, never past 900 bytes.
    static func structured(_ raw: String) -> String {
        let text = singleLine(raw)
        guard isPlainASCII(text), text.split(separator: " ").allSatisfy({ $0.utf8.count <= 900 }) else { return unstructured(raw) }
        return folded(text, encodeLongWords: false)
    }

    /// Folded at spaces into lines of about 60 characters (a word longer than that is encoded
    /// instead, unless `encodeLongWords` is false, so no line can pass the 998-byte limit).
    static func folded(_ text: String, encodeLongWords: Bool = true) -> String {
        var lines: [String] = [], current = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: false) {
            if word.utf8.count > 60, !encodeLongWords {
                if !current.isEmpty { lines.append(current) }
                lines.append(String(word))
                current = ""
            } else if word.utf8.count > 60 {
                if !current.isEmpty { lines.append(current) }
                lines += encodedWords(String(word))
                current = ""
            } else if current.isEmpty {
                current = String(word)
            } else if current.utf8.count + 1 + word.utf8.count > 60 {
                lines.append(current)
                current = String(word)
            } else {
                current += " " + word
            }
        }
        if !current.isEmpty || lines.isEmpty { lines.append(current) }
        return lines.joined(separator: "\r\n ")
    }

    /// A display name: quoted when plain ASCII and short, encoded words otherwise.
    static func phrase(_ raw: String) -> String {
        let text = singleLine(raw)
        if isPlainASCII(text), text.utf8.count <= 60, !text.contains("=?") {
            return "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        return encodedWords(text).joined(separator: " ")
    }

    static func encodedWords(_ text: String) -> [String] {
        var words: [String] = [], current: [UInt8] = []
        // By scalar: a character of many combining marks could outgrow a word on its own.
        for scalar in text.unicodeScalars {
            let bytes = Array(String(scalar).utf8)
            if !current.isEmpty, current.count + bytes.count > 36 {
                words.append(word(current))
                current = []
            }
            current += bytes
        }
        if !current.isEmpty || words.isEmpty { words.append(word(current)) }
        return words
    }

    private static func word(_ bytes: [UInt8]) -> String { "=?UTF-8?B?\(Data(bytes).base64EncodedString())?=" }
}

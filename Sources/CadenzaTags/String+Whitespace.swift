extension StringProtocol {
    /// Without leading and trailing white space (Unicode `White_Space` and U+200B: the characters Foundation's
    /// `.whitespacesAndNewlines` names). Foundation's trimming goes through NSString, and in a scan
    /// it cost more than TagLib's own parsing.
    var trimmingWhitespace: String {
        let scalars = unicodeScalars
        guard let start = scalars.firstIndex(where: { !Self.isWhitespace($0) }),
            let end = scalars.lastIndex(where: { !Self.isWhitespace($0) })
        else { return "" }
        return String(String.UnicodeScalarView(scalars[start...end]))
    }

    /// Foundation's set also holds U+200B ZERO WIDTH SPACE, which `White_Space` does not: values
    /// trimmed before must trim the same, or a rescan would key their albums anew.
    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        scalar.isASCII ? scalar == " " || (0x09...0x0D).contains(scalar.value) : scalar.value == 0x200B || scalar.properties.isWhitespace
    }
}

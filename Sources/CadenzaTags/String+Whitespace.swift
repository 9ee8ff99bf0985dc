extension StringProtocol {
    /// Without leading and trailing white space (Unicode `White_Space`: the characters Foundation's
    /// `.whitespacesAndNewlines` names). Foundation's trimming goes through NSString, and in a scan
    /// it cost more than TagLib's own parsing.
    var trimmingWhitespace: String {
        let scalars = unicodeScalars
        guard let start = scalars.firstIndex(where: { !Self.isWhitespace($0) }),
            let end = scalars.lastIndex(where: { !Self.isWhitespace($0) })
        else { return "" }
        return String(String.UnicodeScalarView(scalars[start...end]))
    }

    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        scalar.isASCII ? scalar == " " || (0x09...0x0D).contains(scalar.value) : scalar.properties.isWhitespace
    }
}

/// Text and attribute values for XML responses (Subsonic, Last.fm).
enum XMLText {
    static func escape(_ s: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count)
        UTF8Text.xmlEscape(s, into: &out)
        return String(decoding: out, as: UTF8.self)
    }
}

import Foundation

/// Audio container types by content, for uploads whose names cannot be trusted.
public enum AudioSniffer {
    public struct Kind: Sendable, Equatable {
        public var fileExtension: String
        public var mime: String
    }

    /// Looks at the first bytes (at least 64 are best) of a file.
    public static func detect(_ header: [UInt8]) -> Kind? {
        func at(_ offset: Int, _ ascii: String) -> Bool {
            let bytes = Array(ascii.utf8)
            guard header.count >= offset + bytes.count else { return false }
            return Array(header[offset..<offset + bytes.count]) == bytes
        }
        if at(0, "fLaC") { return Kind(fileExtension: "flac", mime: "audio/flac") }
        if at(0, "OggS") {
            let text = String(decoding: header.prefix(128), as: UTF8.self)
            if text.contains("OpusHead") { return Kind(fileExtension: "opus", mime: "audio/ogg; codecs=opus") }
            if text.contains("fLaC") { return Kind(fileExtension: "oga", mime: "audio/ogg; codecs=flac") }
            return Kind(fileExtension: "ogg", mime: "audio/ogg")
        }
        if at(4, "ftyp") { return Kind(fileExtension: "m4a", mime: "audio/mp4") }
        if at(0, "RIFF") && at(8, "WAVE") { return Kind(fileExtension: "wav", mime: "audio/wav") }
        if at(0, "FORM") && (at(8, "AIFF") || at(8, "AIFC")) { return Kind(fileExtension: "aiff", mime: "audio/aiff") }
        if at(0, "wvpk") { return Kind(fileExtension: "wv", mime: "audio/wavpack") }
        if at(0, "MAC ") { return Kind(fileExtension: "ape", mime: "audio/ape") }
        if at(0, "MPCK") || at(0, "MP+") { return Kind(fileExtension: "mpc", mime: "audio/musepack") }
        if at(0, "ID3") { return Kind(fileExtension: "mp3", mime: "audio/mpeg") }
        if header.count >= 2, header[0] == 0xFF, header[1] & 0xE0 == 0xE0 {
            // ADTS AAC has layer bits 00; MPEG audio layer III has 01.
            if header[1] & 0x06 == 0x00 { return Kind(fileExtension: "aac", mime: "audio/aac") }
            return Kind(fileExtension: "mp3", mime: "audio/mpeg")
        }
        return nil
    }

    /// MIME type for serving a file of a known extension.
    public static func mime(forExtension ext: String) -> String {
        switch ext.lowercased() {
        case "mp3": return "audio/mpeg"
        case "flac": return "audio/flac"
        case "ogg", "oga": return "audio/ogg"
        case "opus": return "audio/ogg; codecs=opus"
        case "m4a", "mp4", "m4b", "alac": return "audio/mp4"
        case "aac": return "audio/aac"
        case "wav": return "audio/wav"
        case "aif", "aiff", "aifc": return "audio/aiff"
        case "wv": return "audio/wavpack"
        case "ape": return "audio/ape"
        case "mpc": return "audio/musepack"
        case "wma": return "audio/x-ms-wma"
        default: return "application/octet-stream"
        }
    }

    /// Extensions the scanner considers audio.
    public static let audioExtensions: Set<String> = [
        "mp3", "flac", "ogg", "oga", "opus", "m4a", "m4b", "mp4", "aac", "alac", "wav", "aif", "aiff", "aifc",
        "wv", "ape", "mpc", "wma", "spx",
    ]
}

import Foundation

/// An image's width and height read from its header (JPEG, PNG, GIF, WebP), without decoding it.
/// Uploaded images are checked with this before any decoder sees them: a small file can declare
/// a canvas whose decoded pixels need gigabytes.
public struct ImageDimensions: Sendable, Equatable {
    public var width: Int
    public var height: Int

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    /// The dimensions the header declares; nil when the bytes are not one of the four formats or
    /// the header is cut short or malformed. Reads only what is there: no offset is trusted before
    /// it is checked against the data's length.
    public static func read(_ data: Data) -> ImageDimensions? {
        let bytes = [UInt8](data.prefix(1 << 20))
        switch ImageSniffer.mime(data) {
        case "image/png": return png(bytes)
        case "image/gif": return gif(bytes)
        case "image/webp": return webp(bytes)
        case "image/jpeg": return jpeg(bytes)
        default: return nil
        }
    }

    private static func be16(_ b: [UInt8], _ at: Int) -> Int? {
        guard at >= 0, at + 1 < b.count else { return nil }
        return Int(b[at]) << 8 | Int(b[at + 1])
    }

    private static func le16(_ b: [UInt8], _ at: Int) -> Int? {
        guard at >= 0, at + 1 < b.count else { return nil }
        return Int(b[at + 1]) << 8 | Int(b[at])
    }

    private static func le24(_ b: [UInt8], _ at: Int) -> Int? {
        guard at >= 0, at + 2 < b.count else { return nil }
        return Int(b[at + 2]) << 16 | Int(b[at + 1]) << 8 | Int(b[at])
    }

    private static func be32(_ b: [UInt8], _ at: Int) -> Int? {
        guard let high = be16(b, at), let low = be16(b, at + 2) else { return nil }
        return high << 16 | low
    }

    private static func make(_ width: Int?, _ height: Int?) -> ImageDimensions? {
        guard let width, let height, width > 0, height > 0 else { return nil }
        return ImageDimensions(width: width, height: height)
    }

    /// The IHDR chunk comes first: width and height as 32-bit big-endian numbers.
    private static func png(_ b: [UInt8]) -> ImageDimensions? {
        guard b.count >= 24, b[12...15] == [0x49, 0x48, 0x44, 0x52] else { return nil }
        return make(be32(b, 16), be32(b, 20))
    }

    /// The logical screen (16-bit little-endian).
    private static func gif(_ b: [UInt8]) -> ImageDimensions? {
        make(le16(b, 6), le16(b, 8))
    }

    /// Lossy (VP8), lossless (VP8L) and extended (VP8X) headers.
    private static func webp(_ b: [UInt8]) -> ImageDimensions? {
        guard b.count >= 30 else { return nil }
        switch String(decoding: b[12...15], as: UTF8.self) {
        case "VP8 ":
            guard b[23...25] == [0x9D, 0x01, 0x2A] else { return nil }
            return make(le16(b, 26).map { $0 & 0x3FFF }, le16(b, 28).map { $0 & 0x3FFF })
        case "VP8L":
            guard b[20] == 0x2F else { return nil }
            let bits = Int(b[21]) | Int(b[22]) << 8 | Int(b[23]) << 16 | Int(b[24]) << 24
            return make((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
        case "VP8X":
            return make(le24(b, 24).map { $0 + 1 }, le24(b, 27).map { $0 + 1 })
        default:
            return nil
        }
    }

    /// Walks the segments to the first start-of-frame marker (its height, then width).
    private static func jpeg(_ b: [UInt8]) -> ImageDimensions? {
        var at = 2
        while at + 3 < b.count {
            guard b[at] == 0xFF else { return nil }
            let marker = b[at + 1]
            if marker == 0xFF {  // fill byte
                at += 1
                continue
            }
            if marker == 0x01 || (0xD0...0xD7).contains(marker) {  // no length
                at += 2
                continue
            }
            guard marker != 0xD9, marker != 0xDA, let length = be16(b, at + 2), length >= 2 else { return nil }
            let frames: Set<UInt8> = [0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF]
            if frames.contains(marker) { return make(be16(b, at + 7), be16(b, at + 5)) }
            at += 2 + length
        }
        return nil
    }
}

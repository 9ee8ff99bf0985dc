import Vapor
import Foundation

/// A user's default avatar: a symmetric 5×5 pattern in a colour, both taken from a hash of the
/// name, as a PNG (the image type every Subsonic client decodes; many Android ones cannot draw SVG).
enum Identicon {
    static func png(for name: String, size: Int = 120) -> [UInt8] {
        let digest = Array(SHA256.hash(data: Data(name.lowercased().utf8)))
        let color = (r: digest[0] / 2 + 64, g: digest[1] / 2 + 64, b: digest[2] / 2 + 64)
        // Cell (row, column) is on when its bit is set; columns 3 and 4 mirror 1 and 0.
        func on(_ row: Int, _ column: Int) -> Bool {
            let bit = row * 3 + min(column, 4 - column)
            return digest[3 + bit / 8] >> (bit % 8) & 1 == 1
        }
        let cell = size / 6, margin = (size - cell * 5) / 2
        var raw: [UInt8] = []
        raw.reserveCapacity((size * 3 + 1) * size)
        for y in 0..<size {
            raw.append(0)  // filter type "none" for every scanline
            for x in 0..<size {
                let row = (y - margin) / cell, column = (x - margin) / cell
                let inside = y >= margin && x >= margin && row < 5 && column < 5
                if inside && on(row, column) { raw += [color.r, color.g, color.b] } else { raw += [240, 240, 240] }
            }
        }
        var ihdr: [UInt8] = []
        ihdr += bigEndian(UInt32(size)) + bigEndian(UInt32(size))
        ihdr += [8, 2, 0, 0, 0]  // 8-bit RGB, deflate, no filter, no interlace
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
            + chunk("IHDR", ihdr) + chunk("IDAT", zlibStored(raw)) + chunk("IEND", [])
    }

    /// zlib framing around uncompressed deflate blocks: the image is small, so no compressor is needed.
    static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        var offset = 0
        repeat {
            let length = min(65_535, data.count - offset)
            let last: UInt8 = offset + length == data.count ? 1 : 0
            out.append(last)
            out += [UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8((~length >> 8) & 0xFF)]
            out += data[offset..<(offset + length)]
            offset += length
        } while offset < data.count
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in data { a = (a + UInt32(byte)) % 65_521; b = (b + a) % 65_521 }
        return out + bigEndian(b << 16 | a)
    }

    static func chunk(_ type: String, _ body: [UInt8]) -> [UInt8] {
        let typed = Array(type.utf8) + body
        return bigEndian(UInt32(body.count)) + typed + bigEndian(crc32(typed))
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }
}

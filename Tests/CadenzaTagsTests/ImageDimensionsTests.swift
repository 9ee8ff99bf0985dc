import CadenzaTags
import CadenzaTestSupport
import Foundation
import Testing

/// Image sizes are read from the headers ffmpeg writes, and damaged or hostile headers never trap.
@Suite struct ImageDimensionsTests {
    static let encodings: [(file: String, args: [String])] = [
        ("a.jpg", []), ("b.png", []), ("c.gif", []), ("d.webp", ["-c:v", "libwebp"]),
        ("e.webp", ["-c:v", "libwebp", "-lossless", "1"]),
    ]

    @Test(arguments: encodings.map(\.file))
    func readsWhatFfmpegWrote(_ file: String) throws {
        let directory = try AudioFixtures.temporaryDirectory("images")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent(file).path
        let extra = Self.encodings.first { $0.file == file }?.args ?? []
        #expect(try AudioFixtures.ffmpeg(["-f", "lavfi", "-i", "testsrc=s=123x45", "-frames:v", "1"] + extra + [path]) == 0)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(ImageDimensions.read(data) == ImageDimensions(width: 123, height: 45))
        // Every shorter prefix is either unreadable or, for a header that is already complete, the same size.
        for length in stride(from: 0, to: min(data.count, 700), by: 1) {
            let read = ImageDimensions.read(data.prefix(length))
            #expect(read == nil || read == ImageDimensions(width: 123, height: 45))
        }
    }

    @Test func aHugeDeclaredCanvasIsReadAsDeclared() {
        // A 33-byte PNG that claims 100000×100000 pixels: the caller refuses it before decoding.
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]
        png += [0x00, 0x01, 0x86, 0xA0, 0x00, 0x01, 0x86, 0xA0, 8, 6, 0, 0, 0, 0, 0, 0, 0]
        #expect(ImageDimensions.read(Data(png)) == ImageDimensions(width: 100_000, height: 100_000))
    }

    @Test func damagedHeadersAreNotImages() {
        let cases: [[UInt8]] = [
            [0xFF, 0xD8, 0xFF],  // JPEG start, nothing more
            [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x01],  // a segment shorter than its own length field
            [0xFF, 0xD8, 0xFF, 0xE0, 0xFF, 0xFF] + [UInt8](repeating: 0, count: 40),  // a length past the end
            [0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x08] + [UInt8](repeating: 0, count: 20),  // image data before any frame header
            [0xFF, 0xD8] + [UInt8](repeating: 0xFF, count: 5000),  // only fill bytes
            // A PNG whose first chunk is not IHDR.
            [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 0x49, 0x44, 0x41, 0x54] + [UInt8](repeating: 1, count: 12),
            [0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0, 0, 5, 0],  // GIF of width 0
            Array("RIFF\u{0}\u{0}\u{0}\u{0}WEBPVP8 ".utf8) + [UInt8](repeating: 0, count: 20),  // VP8 without its start code
            Array("RIFF\u{0}\u{0}\u{0}\u{0}WEBPXXXX".utf8) + [UInt8](repeating: 0, count: 20),
            Array("not an image at all".utf8),
        ]
        for bytes in cases { #expect(ImageDimensions.read(Data(bytes)) == nil, "\(bytes.prefix(16))") }
    }
}

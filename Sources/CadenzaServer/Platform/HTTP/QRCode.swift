import CQRencode

/// A QR code drawn as SVG by libqrencode: black modules on white with the four-module quiet
/// zone scanners need, one path of horizontal runs (a join link is ~1 kB of SVG).
enum QRCode {
    /// Longer text would need a code too dense for a phone camera across a room.
    static let maxBytes = 500

    /// nil when the text is empty, too long, or holds a NUL (libqrencode reads a C string).
    static func svg(_ text: String) -> String? {
        guard !text.isEmpty, text.utf8.count <= maxBytes, !text.utf8.contains(0) else { return nil }
        // Level M (15 % of the code can be lost): a phone reads it off a screen at an angle.
        guard let code = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1) else { return nil }
        defer { QRcode_free(code) }
        let width = Int(code.pointee.width)
        guard width > 0, let data = code.pointee.data else { return nil }
        let quiet = 4
        let size = width + 2 * quiet
        var path = ""
        for y in 0..<width {
            var x = 0
            while x < width {
                guard data[y * width + x] & 1 == 1 else {
                    x += 1
                    continue
                }
                var run = 1
                while x + run < width, data[y * width + x + run] & 1 == 1 { run += 1 }
                path += "M\(x + quiet) \(y + quiet)h\(run)v1h-\(run)z"
                x += run
            }
        }
        return """
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(size) \(size)" shape-rendering="crispEdges">\
            <rect width="\(size)" height="\(size)" fill="#fff"/><path fill="#000" d="\(path)"/></svg>
            """
    }
}

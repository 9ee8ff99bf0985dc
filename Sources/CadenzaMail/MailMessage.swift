import Foundation

/// A message to send: plain text, and HTML as its alternative when given.
public struct MailMessage: Sendable {
    public var from: MailAddress
    public var to: [MailAddress]
    public var subject: String
    public var text: String
    public var html: String?
    /// Further headers (`List-Unsubscribe`, `Auto-Submitted`, …); values are kept to one line.
    public var headers: [(name: String, value: String)]
    public var messageID: String
    public var date: Date

    public init(
        from: MailAddress, to: [MailAddress], subject: String, text: String, html: String? = nil,
        headers: [(name: String, value: String)] = [], messageID: String? = nil, date: Date = Date()
    ) {
        self.from = from
        self.to = to
        self.subject = subject
        self.text = text
        self.html = html
        self.headers = headers
        self.messageID = messageID ?? "<\(UUID().uuidString.lowercased())@\(from.domain)>"
        self.date = date
    }

    /// The message as RFC 5322 text: 7-bit, CRLF line ends, lines of at most 78 characters
    /// outside folded headers (not yet dot-stuffed: that is the transport's).
    public func rendered() -> [UInt8] {
        var head: [String] = [
            "Date: \(Self.dateFormatter.string(from: date))",
            "From: \(from.headerValue)",
            "To: \(to.map(\.headerValue).joined(separator: ",\r\n "))",
            "Subject: \(MailHeader.unstructured(subject))",
            "Message-ID: \(MailHeader.singleLine(messageID))",
            "MIME-Version: 1.0",
        ]
        for (name, value) in headers where Self.isHeaderName(name) {
            head.append("\(name): \(MailHeader.structured(value))")
        }
        var body: [String]
        if let html {
            let boundary = "=_cadenza_\(UUID().uuidString.lowercased())"
            head.append("Content-Type: multipart/alternative;\r\n boundary=\"\(boundary)\"")
            body = ["This is a message in plain text and HTML.", "", "--\(boundary)"]
            body += Self.part("text/plain", text) + ["--\(boundary)"] + Self.part("text/html", html) + ["--\(boundary)--"]
        } else {
            head.append("Content-Type: text/plain; charset=utf-8")
            head.append("Content-Transfer-Encoding: quoted-printable")
            body = QuotedPrintable.encode(text)
        }
        return Array((head + [""] + body).joined(separator: "\r\n").utf8) + [13, 10]
    }

    private static func part(_ type: String, _ content: String) -> [String] {
        ["Content-Type: \(type); charset=utf-8", "Content-Transfer-Encoding: quoted-printable", ""] + QuotedPrintable.encode(content)
    }

    /// A further header's name: printable, at most 40 characters, and none of those the message
    /// sets itself (nor `Bcc`).
    static func isHeaderName(_ name: String) -> Bool {
        let reserved: Set<String> = [
            "date", "from", "to", "cc", "bcc", "subject", "message-id", "mime-version", "content-type", "content-transfer-encoding", "sender",
            "reply-to",
        ]
        return !name.isEmpty && name.utf8.count <= 40 && name.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ":") }
            && !reserved.contains(name.lowercased())
    }

    static let dateFormatter: DateFormatter = {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return formatter
    }()
}

/// RFC 2045 quoted-printable: UTF-8 text as 7-bit lines of at most 76 characters.
enum QuotedPrintable {
    static func encode(_ text: String) -> [String] {
        let normalized = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        var out: [String] = []
        for line in normalized.split(separator: "\n", omittingEmptySubsequences: false) {
            let bytes = Array(line.utf8)
            var current = ""
            for (index, byte) in bytes.enumerated() {
                let last = index == bytes.count - 1
                let literal = (byte >= 33 && byte <= 126 && byte != UInt8(ascii: "=")) || ((byte == 32 || byte == 9) && !last)
                let piece = literal ? String(UnicodeScalar(byte)) : String(format: "=%02X", byte)
                if current.count + piece.count > 75 {
                    out.append(current + "=")
                    current = ""
                }
                current += piece
            }
            out.append(current)
        }
        return out
    }
}

/// A server's reply: a three-digit code and its lines of text.
public struct SMTPReply: Sendable, Equatable, CustomStringConvertible {
    public var code: Int
    public var lines: [String]

    public var isPositive: Bool { (200..<400).contains(code) }
    /// 4xx: try again later. 5xx: do not.
    public var isTransient: Bool { (400..<500).contains(code) }
    public var isPermanent: Bool { code >= 500 }

    public var description: String { lines.map { "\(code) \($0)" }.joined(separator: "\n") }

    /// Folds one line into a reply being read; returns true when it was the reply's last line
    /// (`250 OK`, where `250-` lines continue it).
    static func parse(line: String, into reply: inout SMTPReply?) throws(SMTPError) -> Bool {
        let bytes = Array(line.utf8)
        guard bytes.count >= 3, bytes[0..<3].allSatisfy({ (0x30...0x39).contains($0) }),
            let code = Int(String(decoding: bytes[0..<3], as: UTF8.self)), (200...599).contains(code) || (100...199).contains(code)
        else { throw SMTPError.protocolViolation("not a reply: \(line.prefix(80))") }
        let separator = bytes.count > 3 ? bytes[3] : 0x20
        guard separator == 0x20 || separator == 0x2D else { throw SMTPError.protocolViolation("not a reply: \(line.prefix(80))") }
        let text = bytes.count > 4 ? String(decoding: bytes[4...], as: UTF8.self) : ""
        if var current = reply {
            guard current.code == code else { throw SMTPError.protocolViolation("a reply's lines changed code") }
            guard current.lines.count < 100 else { throw SMTPError.protocolViolation("a reply of over 100 lines") }
            current.lines.append(text)
            reply = current
        } else {
            reply = SMTPReply(code: code, lines: [text])
        }
        return separator == 0x20
    }
}

/// Why a message was not sent. `isPermanent`: trying again will not help (a 5xx reply).
public enum SMTPError: Error, Sendable, CustomStringConvertible {
    /// The server refused a step of the conversation.
    case rejected(step: String, reply: SMTPReply)
    /// The server could not be reached, or the connection broke.
    case connection(String)
    /// The server said something that is not SMTP.
    case protocolViolation(String)
    /// No answer within the time allowed.
    case timedOut
    /// The server offers no TLS and a password would go in clear.
    case tlsRequired

    public var isPermanent: Bool {
        switch self {
        case .rejected(_, let reply): reply.isPermanent
        case .tlsRequired: true
        case .connection, .protocolViolation, .timedOut: false
        }
    }

    public var description: String {
        switch self {
        case .rejected(let step, let reply): "\(step): \(reply)"
        case .connection(let text): "connection: \(text)"
        case .protocolViolation(let text): "protocol: \(text)"
        case .timedOut: "no answer in time"
        case .tlsRequired: "the server offers no STARTTLS; the password is not sent in clear"
        }
    }
}

import NIOCore

/// Splits what the server sends into lines (CRLF or LF), refusing any over `limit` bytes so a
/// hostile server cannot make the client hold an endless line.
struct SMTPLineDecoder: ByteToMessageDecoder {
    typealias InboundOut = SMTPLine
    let limit = 4_096

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.readableBytes > limit { throw SMTPError.protocolViolation("a line of over \(limit) bytes") }
            return .needMoreData
        }
        let length = newline - buffer.readerIndex
        guard length <= limit else { throw SMTPError.protocolViolation("a line of over \(limit) bytes") }
        var line = buffer.readString(length: length) ?? ""
        buffer.moveReaderIndex(forwardBy: 1)
        if line.hasSuffix("\r") { line.removeLast() }
        context.fireChannelRead(Self.wrapInboundOut(SMTPLine(text: line, bytes: length + 1)))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}

/// A line of a reply, and how many bytes it took on the wire (with its line end).
struct SMTPLine: Sendable {
    var text: String
    var bytes: Int
}

/// Counts the bytes the server sent, on the channel's event loop: before TLS starts, everything
/// received must have been read as the replies so far — anything more was sent ahead of the
/// handshake and would be taken, after it, for the encrypted server's replies (CVE-2011-0411).
final class ReceivedBytes: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    /// Touched only on the channel's event loop.
    private(set) var count = 0

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        count += unwrapInboundIn(data).readableBytes
        context.fireChannelRead(data)
    }
}

/// The DATA section: a line that starts with a dot gets a second one (RFC 5321 §4.5.2), the
/// text ends with CRLF, and the lone dot ends it.
enum SMTPData {
    static func stuffed(_ message: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(message.count + message.count / 64 + 5)
        var atLineStart = true
        for byte in message {
            if atLineStart, byte == UInt8(ascii: ".") { out.append(byte) }
            out.append(byte)
            atLineStart = byte == 10
        }
        if !(out.count >= 2 && out[out.count - 2] == 13 && out[out.count - 1] == 10) { out += [13, 10] }
        return out + Array(".\r\n".utf8)
    }
}

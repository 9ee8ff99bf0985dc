import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// Sends one message per connection: EHLO, STARTTLS when offered (or TLS from the start),
/// AUTH PLAIN or LOGIN when a user is configured, then the envelope and the dot-stuffed data.
/// The whole conversation is bounded by `timeout`; a 4xx or 5xx reply ends it with an error
/// saying which step and what the server said.
public struct SMTPClient: Sendable {
    public let configuration: SMTPConfiguration
    public let timeout: Duration
    /// The name given in EHLO.
    public let heloName: String
    private let group: any EventLoopGroup

    public init(
        configuration: SMTPConfiguration, heloName: String = "localhost", timeout: Duration = .seconds(30),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.configuration = configuration
        self.heloName = Self.ehloName(heloName)
        self.timeout = timeout
        self.group = group
    }

    /// Sends `message` to its recipients; returns the server's reply to the data (its queue id).
    @discardableResult
    public func send(_ message: MailMessage) async throws(SMTPError) -> SMTPReply {
        do {
            return try await withThrowingTaskGroup(of: SMTPReply.self) { tasks in
                tasks.addTask { try await self.converse(message) }
                tasks.addTask {
                    try await Task.sleep(for: self.timeout)
                    throw SMTPError.timedOut
                }
                defer { tasks.cancelAll() }
                guard let reply = try await tasks.next() else { throw SMTPError.timedOut }
                return reply
            }
        } catch let error as SMTPError {
            throw error
        } catch let error as NIOSSLError {
            throw .connection("TLS: \(error)")
        } catch is CancellationError {
            throw .timedOut
        } catch {
            throw .connection(String(describing: error))
        }
    }

    private func tlsContext() throws -> NIOSSLContext {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        if let file = configuration.trustRootsFile { tls.trustRoots = .file(file) }
        return try NIOSSLContext(configuration: tls)
    }

    private func converse(_ message: MailMessage) async throws -> SMTPReply {
        let configuration = configuration
        let implicitTLS = configuration.security == .implicitTLS
        let context = try tlsContext()
        let received = ReceivedBytes()
        let channel = try await ClientBootstrap(group: group)
            .connectTimeout(.seconds(10))
            .connect(host: configuration.host, port: configuration.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if implicitTLS {
                        try channel.pipeline.syncOperations.addHandler(
                            NIOSSLClientHandler(context: context, serverHostname: Self.sniName(configuration.host)))
                    } else {
                        try channel.pipeline.syncOperations.addHandler(received)
                    }
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(SMTPLineDecoder()))
                    return try NIOAsyncChannel<SMTPLine, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            var lines = inbound.makeAsyncIterator()
            var consumed = 0
            func reply() async throws -> SMTPReply {
                var reply: SMTPReply?
                while let line = try await lines.next() {
                    consumed += line.bytes
                    if try SMTPReply.parse(line: line.text, into: &reply), let reply { return reply }
                }
                throw SMTPError.connection("the server closed the connection")
            }
            func command(_ text: String, step: String, expect: Set<Int>) async throws -> SMTPReply {
                try await outbound.write(ByteBuffer(string: text + "\r\n"))
                let answer = try await reply()
                guard expect.contains(answer.code) else { throw SMTPError.rejected(step: step, reply: answer) }
                return answer
            }
            let greeting = try await reply()
            guard greeting.code == 220 else { throw SMTPError.rejected(step: "greeting", reply: greeting) }
            var ehlo = try await command("EHLO \(heloName)", step: "EHLO", expect: [250])
            var secure = implicitTLS
            if !secure, Self.offers("STARTTLS", in: ehlo) {
                _ = try await command("STARTTLS", step: "STARTTLS", expect: [220])
                // Nothing more comes in clear: the TLS handler goes in front, on the event loop,
                // after checking that the server sent nothing beyond its 220.
                let raw = channel.channel, upTo = consumed
                try await raw.eventLoop.submit {
                    guard received.count == upTo else { throw SMTPError.protocolViolation("the server sent more after agreeing to STARTTLS") }
                    try raw.pipeline.syncOperations.addHandler(
                        NIOSSLClientHandler(context: context, serverHostname: Self.sniName(configuration.host)), position: .first)
                }.get()
                secure = true
                ehlo = try await command("EHLO \(heloName)", step: "EHLO after STARTTLS", expect: [250])
            }
            if let user = configuration.username, let password = configuration.password {
                guard secure else { throw SMTPError.tlsRequired }
                let mechanisms = Self.authMechanisms(in: ehlo)
                if mechanisms.contains("PLAIN") || !mechanisms.contains("LOGIN") {
                    let token = Data(([0] + Array(user.utf8) + [0] + Array(password.utf8))).base64EncodedString()
                    _ = try await command("AUTH PLAIN \(token)", step: "AUTH", expect: [235])
                } else {
                    _ = try await command("AUTH LOGIN", step: "AUTH", expect: [334])
                    _ = try await command(Data(user.utf8).base64EncodedString(), step: "AUTH", expect: [334])
                    _ = try await command(Data(password.utf8).base64EncodedString(), step: "AUTH", expect: [235])
                }
            }
            // Addresses are ASCII (MailAddress keeps them so); names and subjects are encoded words.
            _ = try await command("MAIL FROM:<\(message.from.address)>", step: "MAIL FROM", expect: [250])
            for recipient in message.to {
                _ = try await command("RCPT TO:<\(recipient.address)>", step: "RCPT TO \(recipient.address)", expect: [250, 251])
            }
            _ = try await command("DATA", step: "DATA", expect: [354])
            try await outbound.write(ByteBuffer(bytes: SMTPData.stuffed(message.rendered())))
            let accepted = try await reply()
            guard accepted.code == 250 else { throw SMTPError.rejected(step: "message", reply: accepted) }
            // The message is the server's now: goodbye, without waiting on its answer (a
            // server slow to answer QUIT must not turn a delivered message into a retry).
            try? await outbound.write(ByteBuffer(string: "QUIT\r\n"))
            return accepted
        }
    }

    /// Whether an EHLO reply lists `keyword` (its lines after the first are `KEYWORD params`).
    static func offers(_ keyword: String, in ehlo: SMTPReply) -> Bool {
        ehlo.lines.dropFirst().contains { $0.split(separator: " ").first?.uppercased() == keyword }
    }

    static func authMechanisms(in ehlo: SMTPReply) -> Set<String> {
        var found: Set<String> = []
        for line in ehlo.lines.dropFirst() {
            let words = line.uppercased().split(separator: " ").map(String.init)
            if words.first == "AUTH" { found.formUnion(words.dropFirst()) }
        }
        return found
    }

    /// SNI takes a name, never an address (the certificate is checked against the address then).
    static func sniName(_ host: String) -> String? {
        isIPAddress(host) ? nil : host
    }

    static func isIPAddress(_ host: String) -> Bool {
        (try? SocketAddress(ipAddress: host, port: 0)) != nil
    }

    /// What EHLO names: a host name of letters, digits, dots and hyphens, an address literal in
    /// brackets, or `localhost`.
    static func ehloName(_ raw: String) -> String {
        if isIPAddress(raw) { return raw.contains(":") ? "[IPv6:\(raw)]" : "[\(raw)]" }
        let valid =
            !raw.isEmpty && raw.utf8.count <= 253
            && raw.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) || $0 == 0x2E || $0 == 0x2D }
        return valid ? raw : "localhost"
    }
}

import CadenzaPlayout
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Prometheus

/// A station's stream relayed to an external server as its source: Icecast's HTTP `PUT` (what
/// ffmpeg, BUTT and liquidsoap send) or SHOUTcast's source protocol (the password on the port
/// above the listeners'; a v2 server's stream N as `password:#N`). It is fed the encoded audio a
/// mount's encoder makes anyway, so a relay costs a connection, not another encoder. What comes
/// while it is not connected, or more than the server takes, is dropped: the bus never waits on
/// the network. A lost or refused connection is tried again after 1, 2, 4… up to 30 s.
final class SourceClient: @unchecked Sendable {
    let target: PushTarget
    private let station: String
    /// The station's name as it is now (a rename applies without a restart), for the next connection.
    private let name: @Sendable () -> String
    private let bitrate: Encoder.Bitrate
    private let group: any EventLoopGroup
    private let logger: Logger
    private let onConnect: @Sendable () -> Void
    private let lock = NIOLock()
    private var channel: (any Channel)?
    /// Past the handshake: audio goes out.
    private var streaming = false
    private var stopped = false
    private var backoff: Int64 = 1
    private var retry: Scheduled<Void>?
    /// Since when the server has taken nothing (one that stalls for 10 s is let go).
    private var stalledSince: NIODeadline?
    /// Since when it has been connected, or not (wall-clock milliseconds), and why the last try
    /// failed: what the station's page shows.
    private var since = Clock.nowMillis()
    private var lastError: String?
    /// Why this side is closing the connection (nil: the server closed it).
    private var closing: String?
    /// `cadenza_radio_relay_connected`: 1 while the server takes the stream. Made at start and
    /// removed at stop (a playout restarted for a change makes its own; a removed relay is no alert).
    private var gauge: Gauge?

    init(
        target: PushTarget, station: String, name: @escaping @Sendable () -> String, bitrate: Encoder.Bitrate, group: any EventLoopGroup,
        logger: Logger,
        onConnect: @escaping @Sendable () -> Void
    ) {
        self.target = target
        self.station = station
        self.name = name
        self.bitrate = bitrate
        self.group = group
        self.logger = logger
        self.onConnect = onConnect
    }

    /// Whether the server is taking the stream now.
    var connected: Bool { lock.withLock { streaming } }

    var status: RelayStatus {
        lock.withLock { RelayStatus(relay: target.redacted, connected: streaming, since: since, error: streaming ? nil : lastError) }
    }

    func start() {
        let gauge = lock.withLock { () -> Gauge? in
            guard !stopped else { return nil }
            since = Clock.nowMillis()
            let gauge = Self.gauges.acquire(station: station, relay: target.redacted)
            self.gauge = gauge
            return gauge
        }
        guard gauge != nil else { return }
        connect()
    }

    /// Ends the relay: the server sees its source leave.
    func stop() {
        let (channel, gauge) = lock.withLock {
            stopped = true
            retry?.cancel()
            defer { self.gauge = nil }
            return (self.channel, self.gauge)
        }
        channel?.close(promise: nil)
        if gauge != nil { Self.gauges.release(station: station, relay: target.redacted) }
    }

    /// Encoded audio for the server; never waits.
    func send(_ bytes: [UInt8]) {
        let (writable, stalled): ((any Channel)?, Bool) = lock.withLock {
            guard streaming, let channel else { return (nil, false) }
            if channel.isWritable {
                stalledSince = nil
                return (channel, false)
            }
            let since = stalledSince ?? .now()
            stalledSince = since
            return (nil, NIODeadline.now() - since > .seconds(10))
        }
        if let writable {
            writable.writeAndFlush(ByteBuffer(bytes: bytes), promise: nil)
        } else if stalled {
            logger.warning("relay \(target.redacted) took nothing for 10 s: connecting again")
            lock.withLock { () -> (any Channel)? in
                closing = "the server took nothing for 10 s"
                return self.channel
            }?.close(promise: nil)
        }
    }

    /// What the source sends first: Icecast's request (answered 100 or 200), SHOUTcast's password
    /// line (answered OK2).
    var greeting: String {
        switch target.kind {
        case .icecast:
            let credentials = Data("\(target.user):\(target.password)".utf8).base64EncodedString()
            return "PUT \(target.mount) HTTP/1.1\r\nHost: \(target.authority)\r\nAuthorization: Basic \(credentials)\r\n"
                + "User-Agent: Cadenza\r\nContent-Type: \(target.format.contentType)\r\nIce-Name: \(Self.headerValue(name()))\r\nIce-Public: 0\r\n"
                + "Ice-Bitrate: \(bitrate.kbps)\r\nIce-Audio-Info: bitrate=\(bitrate.kbps);channels=2;samplerate=44100\r\n"
                + "Expect: 100-continue\r\n\r\n"
        case .shoutcast:
            return target.password + (target.streamID.map { ":#\($0)" } ?? "") + "\r\n"
        }
    }

    /// `text` on one header line (a station's name cannot add a header of its own).
    static func headerValue(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : $0 }))
    }

    /// The stream's description, sent after SHOUTcast's OK2.
    var shoutcastHeaders: String {
        return "icy-name:\(Self.headerValue(name()))\r\nicy-pub:0\r\nicy-br:\(bitrate.kbps)\r\ncontent-type:\(target.format.contentType)\r\n\r\n"
    }

    private func connect() {
        let reply = group.next().makePromise(of: String.self)
        let target = target
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(.seconds(5))
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(ReplyLine(reply: reply)) }
            }
        bootstrap.connect(host: target.host, port: target.sourcePort).whenComplete { [self] result in
            switch result {
            case .failure(let error):
                reply.fail(error)
                failed("could not connect: \(Self.describe(error))")
            case .success(let channel):
                let keep = lock.withLock {
                    guard !stopped else { return false }
                    self.channel = channel
                    return true
                }
                guard keep else {
                    channel.close(promise: nil)
                    return
                }
                let began = NIODeadline.now()
                channel.closeFuture.whenComplete { [self] _ in
                    let (wasStreaming, reason) = lock.withLock { () -> (Bool, String?) in
                        // (Only this connection's own close ends the stream.)
                        guard self.channel === channel else { return (false, nil) }
                        defer {
                            if streaming { since = Clock.nowMillis() }
                            streaming = false
                            self.channel = nil
                            closing = nil
                            gauge?.set(0.0)
                        }
                        return (streaming, closing)
                    }
                    guard wasStreaming else { return }
                    // A connection that lasted starts the backoff over.
                    if NIODeadline.now() - began > .seconds(10) { lock.withLock { backoff = 1 } }
                    failed(reason ?? "the server closed the connection")
                }
                channel.writeAndFlush(ByteBuffer(string: greeting), promise: nil)
                // A server that takes the connection and never answers is let go.
                let timeout = channel.eventLoop.scheduleTask(in: .seconds(5)) { reply.fail(ChannelError.connectTimeout(.seconds(5))) }
                reply.futureResult.whenComplete { [self] answer in
                    timeout.cancel()
                    switch answer {
                    case .success(let line) where Self.accepted(line, kind: target.kind):
                        if target.kind == .shoutcast { channel.writeAndFlush(ByteBuffer(string: shoutcastHeaders), promise: nil) }
                        // (The answer and the close are seen on different threads: a connection
                        // already closed is tried again here, as its close did not.)
                        let open = lock.withLock {
                            guard self.channel === channel, channel.isActive else { return false }
                            streaming = true
                            stalledSince = nil
                            since = Clock.nowMillis()
                            lastError = nil
                            gauge?.set(1.0)
                            return true
                        }
                        guard open else {
                            failed("the server closed the connection")
                            return
                        }
                        logger.info("relaying to \(target.redacted)")
                        onConnect()
                    case .success(let line):
                        channel.close(promise: nil)
                        failed("the server refused the source: \(line.prefix(200))")
                    case .failure(let error as ClosedWithoutAnswer):
                        channel.close(promise: nil)
                        failed(error.description)
                    case .failure(let error):
                        channel.close(promise: nil)
                        failed("no answer from the server: \(Self.describe(error))")
                    }
                }
            }
        }
    }

    /// Icecast's `HTTP/1.x 100` or `200`; SHOUTcast's `OK2` (`invalid password` otherwise).
    static func accepted(_ line: String, kind: PushTarget.Kind) -> Bool {
        switch kind {
        case .icecast:
            let parts = line.split(separator: " ")
            return parts.count >= 2 && parts[0].hasPrefix("HTTP/") && (parts[1] == "100" || parts[1] == "200")
        case .shoutcast: return line.hasPrefix("OK")
        }
    }

    /// The server hung up before answering the greeting: what Icecast does to a SHOUTcast source
    /// with a wrong password.
    struct ClosedWithoutAnswer: Error, CustomStringConvertible {
        var description: String { "the server closed the connection without answering (a wrong password?)" }
    }

    /// An error as a person reads it: what the last address tried answered, not NIO's whole record.
    static func describe(_ error: any Error) -> String {
        let error = (error as? NIOConnectionError)?.connectionErrors.last?.error ?? error
        // ("Connection refused", not NIO's "connection reset (error set): Connection refused (errno: 111)".)
        if let io = error as? IOError { return String(cString: strerror(io.errnoCode)) }
        return String(describing: error)
    }

    private func failed(_ reason: String) {
        let delay = lock.withLock { () -> Int64? in
            guard !stopped else { return nil }
            lastError = String(reason.prefix(300))
            let delay = backoff
            backoff = min(backoff * 2, 30)
            retry = group.next().scheduleTask(in: .seconds(delay)) { [self] in
                guard !lock.withLock({ stopped }) else { return }
                connect()
            }
            return delay
        }
        // (Logged outside the lock: the mount's encoder thread takes it for every chunk.)
        if let delay { logger.warning("relay \(target.redacted): \(reason); trying again in \(delay) s") }
    }

    /// `cadenza_radio_relay_connected`, one series per station and relay for as long as any playout
    /// of this process relays there (a playout restarted for a change starts its relays before the
    /// old one's have all stopped, and the registry hands both the same gauge).
    static let gauges = RelayGauges()
}

final class RelayGauges: Sendable {
    private let users = NIOLockedValueBox<[String: Int]>([:])

    /// The relay's gauge, at 0 for a relay that was not relaying yet.
    func acquire(station: String, relay: String) -> Gauge {
        users.withLockedValue { users in
            let key = station + "\n" + relay
            let gauge = Metrics.registry.makeGauge(name: "cadenza_radio_relay_connected", labels: [("station", station), ("relay", relay)])
            if users[key, default: 0] == 0 { gauge.set(0.0) }
            users[key, default: 0] += 1
            return gauge
        }
    }

    /// The series goes with its last user: a relay removed is no alert.
    func release(station: String, relay: String) {
        users.withLockedValue { users in
            let key = station + "\n" + relay
            users[key, default: 1] -= 1
            guard users[key, default: 0] <= 0 else { return }
            users[key] = nil
            Metrics.registry.unregisterGauge(
                Metrics.registry.makeGauge(name: "cadenza_radio_relay_connected", labels: [("station", station), ("relay", relay)]))
        }
    }
}

/// The server's first line (at most 1 KB), then nothing more is read.
private final class ReplyLine: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    private let reply: EventLoopPromise<String>
    private var buffer: [UInt8] = []
    private var done = false

    init(reply: EventLoopPromise<String>) { self.reply = reply }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !done else { return }
        var bytes = unwrapInboundIn(data)
        buffer += bytes.readBytes(length: min(bytes.readableBytes, 1_024)) ?? []
        if let end = buffer.firstIndex(of: UInt8(ascii: "\n")) {
            done = true
            let line = String(decoding: buffer[..<end], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            reply.succeed(line)
        } else if buffer.count >= 1_024 {
            done = true
            reply.succeed(String(decoding: buffer.prefix(200), as: UTF8.self))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !done {
            done = true
            reply.fail(SourceClient.ClosedWithoutAnswer())
        }
        context.fireChannelInactive()
    }
}

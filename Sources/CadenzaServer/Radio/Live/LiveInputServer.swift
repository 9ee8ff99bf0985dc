import CadenzaPlayout
import Fluent
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Vapor

/// The port DJs connect their source clients to (as AzuraCast's per-station DJ port): a
/// station's owner, an administrator or one of its DJs streams to `/live/SLUG` with their own
/// username and password, and the station airs them until they disconnect.
final class LiveInputServer: Sendable {
    let app: Application
    private let stations: RadioStations
    private let channel = NIOLockedValueBox<(any Channel)?>(nil)
    /// Connections still sending their head or being checked (a flood of them is turned away),
    /// checks running (bcrypt is a quarter second of CPU), and failed sign-ins per address.
    private let guardState = NIOLockedValueBox(Guard())

    struct Guard {
        var pending = 0
        var checking = 0
        var failures: [String: [Date]] = [:]
    }

    static let maxPending = 32
    static let maxChecking = 4
    static let maxFailuresPerMinute = 10
    /// How long a client has to send its head, and how long a live source may send nothing.
    static let headTimeout: TimeAmount = .seconds(10)
    static let sourceTimeout: TimeAmount = .seconds(10)

    /// A new connection starts its head; false when too many are pending.
    func admit() -> Bool {
        guardState.withLockedValue { state in
            guard state.pending < Self.maxPending else { return false }
            state.pending += 1
            return true
        }
    }

    func headDone() { guardState.withLockedValue { $0.pending -= 1 } }

    init(app: Application, stations: RadioStations) {
        self.app = app
        self.stations = stations
    }

    func start(host: String, port: Int) async {
        let bootstrap = ServerBootstrap(group: app.eventLoopGroup)
            .serverChannelOption(ChannelOptions.backlog, value: 16)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.so_keepalive), value: 1)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: Self.sourceTimeout))
                    try channel.pipeline.syncOperations.addHandler(LiveSourceHandler(server: self))
                }
            }
        do {
            let bound = try await bootstrap.bind(host: host, port: port).get()
            channel.withLockedValue { $0 = bound }
            app.logger.info("radio: live DJ input on \(host):\(port) (/live/SLUG)")
        } catch {
            app.logger.warning("radio: the live DJ input could not listen on \(host):\(port): \(String(describing: error))")
        }
    }

    func stop() async {
        try? await channel.withLockedValue { $0 }?.close()
    }

    enum Verdict: Sendable {
        case live(StationPlayout, LiveFeed, LiveRecorder?, dj: String)
        case titled
        case refused(status: String, message: String)
    }

    /// Who may put a station on air: its owner, an administrator, or a DJ it lists. Guessing
    /// is slowed as at the sign-in page: ten failures a minute from one address, then refused.
    func authorize(_ request: LiveSourceRequest, from address: String) async -> Verdict {
        let admitted = guardState.withLockedValue { state -> Verdict? in
            let recent = (state.failures[address] ?? []).filter { $0.timeIntervalSinceNow > -60 }
            state.failures[address] = recent.isEmpty ? nil : recent
            guard recent.count < Self.maxFailuresPerMinute else {
                return .refused(status: "429 Too Many Requests", message: "Too many failed sign-ins; wait a minute.")
            }
            guard state.checking < Self.maxChecking else { return .refused(status: "503 Service Unavailable", message: "Busy; try again.") }
            state.checking += 1
            return nil
        }
        if let admitted { return admitted }
        defer { guardState.withLockedValue { $0.checking -= 1 } }
        let verdict = await check(request)
        if case .refused(let status, _) = verdict, status.hasPrefix("401") {
            guardState.withLockedValue { state in
                // Bounded: a spray from many addresses cannot grow the table without end.
                if state.failures.count > 10_000 { state.failures.removeAll() }
                state.failures[address, default: []].append(Date())
            }
        }
        return verdict
    }

    private func check(_ request: LiveSourceRequest) async -> Verdict {
        do {
            let slug: String
            switch request.kind {
            case .source(let s), .metadata(let s, _): slug = s
            }
            guard request.username.count <= 64, request.password.utf8.count <= 1024,
                let user = try await User.find(username: request.username, on: app.db),
                try await app.verifyPassword(request.password, hash: user.passwordHash)
            else { return .refused(status: "401 Unauthorized", message: "Wrong username or password.") }
            let userID = try user.requireID()
            guard let station = try await Stations.find(slug: slug, on: app.db.sql),
                let playout = await stations.playout(slug: slug)
            else { return .refused(status: "404 Not Found", message: "No such station on air.") }
            var allowed = user.isAdmin || station.ownerID == userID
            if !allowed { allowed = try await StationRoster.djs.contains(userID: userID, stationID: station.id, on: app.db.sql) }
            if !allowed { allowed = try await StationRoster.managers.contains(userID: userID, stationID: station.id, on: app.db.sql) }
            guard allowed else { return .refused(status: "403 Forbidden", message: "You are not a DJ of this station.") }
            switch request.kind {
            case .source:
                guard !playout.isLive else { return .refused(status: "403 Forbidden", message: "Mountpoint in use: another DJ is live.") }
                let mediaDirectory = try app.settings.mediaDirectory
                let feed = LiveFeed()
                guard playout.goLive(feed, title: "Live: \(user.username)") else {
                    feed.finish()
                    return .refused(status: "403 Forbidden", message: "Mountpoint in use: another DJ is live.")
                }
                let recorder = await LiveRecordings.recorder(for: station, mediaDirectory: mediaDirectory, logger: app.logger)
                return .live(playout, feed, recorder, dj: user.username)
            case .metadata(_, let title):
                playout.liveTitle(title)
                return .titled
            }
        } catch {
            app.logger.warning("radio: a live source could not be checked: \(String(describing: error))")
            return .refused(status: "503 Service Unavailable", message: "Try again.")
        }
    }
}

/// One source connection: the head is read and checked, then every byte after it goes to the
/// station's live feed until the client disconnects.
final class LiveSourceHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum Phase {
        case head
        case checking
        case streaming(StationPlayout, LiveFeed, LiveRecorder?, dj: String)
        case done
    }

    private let server: LiveInputServer
    private var phase = Phase.head
    private var head = ByteBuffer()
    /// Audio that arrived while the credentials were checked (reading pauses meanwhile).
    private var early: [Data] = []
    private var earlyBytes = 0
    private var admitted = false
    private var headTimer: Scheduled<Void>?

    init(server: LiveInputServer) {
        self.server = server
    }

    func channelActive(context: ChannelHandlerContext) {
        guard server.admit() else {
            context.close(promise: nil)
            return
        }
        admitted = true
        let channel = context.channel
        headTimer = context.eventLoop.scheduleTask(in: LiveInputServer.headTimeout) { channel.close(promise: nil) }
        context.fireChannelActive()
    }

    /// The head is read and checked (or the connection is over): it no longer counts as pending.
    private func settle() {
        headTimer?.cancel()
        headTimer = nil
        if admitted {
            admitted = false
            server.headDone()
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // A source that sent nothing for a while (a DJ whose network dropped): let the air go.
        if event is IdleStateHandler.IdleStateEvent, case .streaming = phase {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        switch phase {
        case .head:
            head.writeBuffer(&buffer)
            let bytes = head.readableBytesView
            let end = bytes.firstRange(of: Array("\r\n\r\n".utf8))
            guard let end, end.lowerBound - bytes.startIndex <= LiveSourceRequest.maxHeadBytes else {
                if end != nil || head.readableBytes > LiveSourceRequest.maxHeadBytes { refuse(context.channel, "400 Bad Request", "Too long.") }
                return
            }
            let headText = String(decoding: bytes[bytes.startIndex..<end.lowerBound], as: UTF8.self)
            let rest = Data(bytes[end.upperBound...])
            if !rest.isEmpty { early.append(rest) }
            guard let request = LiveSourceRequest(head: headText) else {
                refuse(context.channel, "401 Unauthorized", "A source needs SOURCE or PUT /live/SLUG with Basic credentials.")
                return
            }
            guard !request.chunked else {
                refuse(context.channel, "400 Bad Request", "Send the stream as it is, not chunked.")
                return
            }
            phase = .checking
            let channel = context.channel
            // Reading pauses while bcrypt runs: what the client sends meanwhile waits in the socket.
            channel.setOption(ChannelOptions.autoRead, value: false).whenComplete { _ in }
            let server = self.server
            let address = channel.remoteAddress?.ipAddress ?? "unknown"
            Task {
                let verdict = await server.authorize(request, from: address)
                channel.eventLoop.execute { self.checked(verdict, request: request, channel: channel) }
            }
        case .checking:
            // Read before the pause took effect; bounded all the same.
            earlyBytes += buffer.readableBytes
            guard earlyBytes <= 65_536 else {
                refuse(context.channel, "400 Bad Request", "Too much before the answer.")
                return
            }
            early.append(Data(buffer.readableBytesView))
        case .streaming(_, let feed, let recorder, _):
            let data = Data(buffer.readableBytesView)
            recorder?.append(data)
            // The air let the source go (skipped, or the station restarted): so does the connection.
            if !feed.append(data) { context.close(promise: nil) }
        case .done:
            break
        }
    }

    private func checked(_ verdict: LiveInputServer.Verdict, request: LiveSourceRequest, channel: any Channel) {
        settle()
        switch verdict {
        case .refused(let status, let message):
            refuse(channel, status, message)
        case .titled:
            let body = "<?xml version=\"1.0\"?>\n<iceresponse><message>Metadata update successful</message><return>1</return></iceresponse>\n"
            respond(channel, "HTTP/1.0 200 OK\r\nContent-Type: text/xml\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)", close: true)
        case .live(let playout, let feed, let recorder, let dj):
            guard channel.isActive else {
                feed.finish()
                playout.liveEnded(feed)
                if let recorder { Task { await LiveRecordings.store(recorder, station: playout.station, dj: dj, app: server.app) } }
                return
            }
            phase = .streaming(playout, feed, recorder, dj: dj)
            for data in early {
                recorder?.append(data)
                feed.append(data)
            }
            early = []
            respond(channel, request.expectsContinue ? "HTTP/1.1 100 Continue\r\n\r\n" : "HTTP/1.0 200 OK\r\nServer: Cadenza\r\n\r\n", close: false)
            channel.setOption(ChannelOptions.autoRead, value: true).whenComplete { _ in }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        settle()
        if case .streaming(let playout, let feed, let recorder, let dj) = phase {
            feed.finish()
            playout.liveEnded(feed)
            if let recorder {
                let app = server.app
                Task { await LiveRecordings.store(recorder, station: playout.station, dj: dj, app: app) }
            }
        }
        phase = .done
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func refuse(_ channel: any Channel, _ status: String, _ message: String) {
        phase = .done
        respond(
            channel, "HTTP/1.0 \(status)\r\nContent-Type: text/plain\r\nContent-Length: \(message.utf8.count + 1)\r\n\r\n\(message)\n", close: true)
    }

    private func respond(_ channel: any Channel, _ text: String, close: Bool) {
        let buffer = channel.allocator.buffer(string: text)
        let written = channel.writeAndFlush(buffer)
        if close { written.whenComplete { _ in channel.close(promise: nil) } }
    }
}

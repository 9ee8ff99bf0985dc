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
    private let app: Application
    private let stations: RadioStations
    private let channel = NIOLockedValueBox<(any Channel)?>(nil)

    init(app: Application, stations: RadioStations) {
        self.app = app
        self.stations = stations
    }

    func start(host: String, port: Int) async {
        let bootstrap = ServerBootstrap(group: app.eventLoopGroup)
            .serverChannelOption(ChannelOptions.backlog, value: 16)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(LiveSourceHandler(server: self)) }
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
        case live(StationPlayout, LiveFeed)
        case titled
        case refused(status: String, message: String)
    }

    /// Who may put a station on air: its owner, an administrator, or a DJ it lists.
    func authorize(_ request: LiveSourceRequest) async -> Verdict {
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
            if !allowed { allowed = try await StationDJs.isDJ(userID: userID, stationID: station.id, on: app.db.sql) }
            guard allowed else { return .refused(status: "403 Forbidden", message: "You are not a DJ of this station.") }
            switch request.kind {
            case .source:
                let feed = LiveFeed()
                guard playout.goLive(feed, title: "Live: \(user.username)") else {
                    feed.finish()
                    return .refused(status: "403 Forbidden", message: "Mountpoint in use: another DJ is live.")
                }
                return .live(playout, feed)
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
        case streaming(StationPlayout, LiveFeed)
        case done
    }

    private let server: LiveInputServer
    private var phase = Phase.head
    private var head = ByteBuffer()
    /// Audio that arrived while the credentials were checked.
    private var early: [Data] = []

    init(server: LiveInputServer) {
        self.server = server
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        switch phase {
        case .head:
            head.writeBuffer(&buffer)
            let bytes = head.readableBytesView
            guard let end = bytes.firstRange(of: Array("\r\n\r\n".utf8)) else {
                if head.readableBytes > LiveSourceRequest.maxHeadBytes { refuse(context.channel, "400 Bad Request", "Too long.") }
                return
            }
            let headText = String(decoding: bytes[bytes.startIndex..<end.lowerBound], as: UTF8.self)
            let rest = Data(bytes[end.upperBound...])
            if !rest.isEmpty { early.append(rest) }
            guard let request = LiveSourceRequest(head: headText) else {
                refuse(context.channel, "401 Unauthorized", "A source needs SOURCE or PUT /live/SLUG with Basic credentials.")
                return
            }
            phase = .checking
            let channel = context.channel
            let server = self.server
            Task {
                let verdict = await server.authorize(request)
                channel.eventLoop.execute { self.checked(verdict, request: request, channel: channel) }
            }
        case .checking:
            early.append(Data(buffer.readableBytesView))
        case .streaming(_, let feed):
            feed.append(Data(buffer.readableBytesView))
        case .done:
            break
        }
    }

    private func checked(_ verdict: LiveInputServer.Verdict, request: LiveSourceRequest, channel: any Channel) {
        switch verdict {
        case .refused(let status, let message):
            refuse(channel, status, message)
        case .titled:
            let body = "<?xml version=\"1.0\"?>\n<iceresponse><message>Metadata update successful</message><return>1</return></iceresponse>\n"
            respond(channel, "HTTP/1.0 200 OK\r\nContent-Type: text/xml\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)", close: true)
        case .live(let playout, let feed):
            guard channel.isActive else {
                feed.finish()
                playout.liveEnded(feed)
                return
            }
            phase = .streaming(playout, feed)
            for data in early { feed.append(data) }
            early = []
            respond(channel, request.expectsContinue ? "HTTP/1.1 100 Continue\r\n\r\n" : "HTTP/1.0 200 OK\r\nServer: Cadenza\r\n\r\n", close: false)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if case .streaming(let playout, let feed) = phase {
            feed.finish()
            playout.liveEnded(feed)
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

import AsyncHTTPClient
import Fluent
import Foundation
import NIOCore
import NIOHTTP1
import SQLKit
import Vapor

/// Plays a followed library's files through this instance: the first play is a signed GET
/// (the follower's key; the listener's address never leaves this server) streamed straight
/// through, Range passed on, and a whole-file answer is kept on disk while it passes; later
/// plays come from the copy. The copies are bounded in size, the least recently played go first.
struct RemoteAudioCache: Sendable {
    let services: AppServices
    let directory: URL
    let limitBytes: Int64

    init(services: AppServices) throws {
        self.services = services
        directory = services.settings.dataDirectory.appendingPathComponent("remote-audio")
        limitBytes = Int64(try services.settings.section(FederationSettings.self).cacheMegabytes) * 1_048_576
    }

    static var remoteMedia: RemoteMedia {
        RemoteMedia(
            stream: { source, req in try await RemoteAudioCache(services: try req.application.cadenza).stream(source, req: req) },
            localCopy: { source, req in try await RemoteAudioCache(services: try req.application.cadenza).localCopy(source, on: req.db) })
    }

    func path(_ source: RemoteMediaSource) -> URL {
        let ext = RemoteAudioParser.format(source.mediaType)
        return directory.appendingPathComponent("\(source.fileID)-\(source.version).\(ext)")
    }

    func client() throws -> FederationClient { try FederationClient(services: services) }

    func signer(
        _ source: RemoteMediaSource, client: FederationClient, on database: any Database
    ) async throws -> (
        keyID: String, key: ActorKeys.KeyPair
    ) {
        if let ownerID = source.ownerID, let user = try await User.find(ownerID, on: database) {
            return try await client.signer(userID: ownerID, username: user.username, on: database.sql)
        }
        return try await client.signer(userID: nil, username: nil, on: database.sql)
    }

    /// An administrator refused media from the track's server.
    func refused(_ source: RemoteMediaSource, on db: any SQLDatabase) async throws -> Bool {
        guard let authority = FederationURLs.authority(of: source.url) else { return true }
        return try await DomainPolicies.effective(authority, on: db)?.rejectMedia == true
    }

    func stream(_ source: RemoteMediaSource, req: Request) async throws -> Response {
        if try await refused(source, on: req.sql) {
            throw APIError(status: .forbidden, code: "media_refused", message: "This server's administrators refuse media from that server.")
        }
        let cached = path(source)
        if FileManager.default.fileExists(atPath: cached.path) {
            try? FileManager.default.setAttributes([.modificationDate: Date()], ofItemAtPath: cached.path)
            let response = try await req.fileio.asyncStreamFile(
                at: cached.path, mediaType: HTTPMediaType.fileExtension(cached.pathExtension) ?? .binary)
            response.headers.replaceOrAdd(name: .cacheControl, value: "private, max-age=3600")
            return response
        }
        if req.method == .HEAD {
            // What a player asks before it plays: answered from what we know, nothing fetched.
            var headers = HTTPHeaders()
            headers.replaceOrAdd(name: .contentType, value: source.mediaType)
            headers.replaceOrAdd(name: .acceptRanges, value: "bytes")
            if source.size > 0 { headers.replaceOrAdd(name: .contentLength, value: String(source.size)) }
            return Response(status: .ok, headers: headers)
        }
        let client = try client()
        // A player's first request (`bytes=0-`) is answered whole, so the copy can be kept.
        let asked = req.headers.first(name: .range)?.replacingOccurrences(of: " ", with: "")
        let range = asked == "bytes=0-" ? nil : asked
        let upstream: HTTPClientResponse
        do {
            upstream = try await client.open(
                source.url, headers: range.map { [("range", $0)] } ?? [], as: try await signer(source, client: client, on: req.db),
                on: req.sql)
        } catch {
            throw APIError(status: .badGateway, code: "remote_unreachable", message: "The track's instance did not answer: \(error)")
        }
        switch upstream.status.code {
        case 200, 206: break
        case 416:
            throw APIError(status: .rangeNotSatisfiable, code: "range_not_satisfiable", message: "The range starts past the end of the file.")
        case 401, 403:
            throw APIError(status: .badGateway, code: "remote_refused", message: "The track's instance refused it (HTTP \(upstream.status.code)).")
        default:
            throw APIError(status: .badGateway, code: "remote_unreachable", message: "The track's instance answered HTTP \(upstream.status.code).")
        }
        var headers = HTTPHeaders()
        headers.replaceOrAdd(name: .contentType, value: source.mediaType)
        headers.replaceOrAdd(name: .acceptRanges, value: "bytes")
        headers.replaceOrAdd(name: .cacheControl, value: "private, max-age=3600")
        headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        if let contentRange = upstream.headers.first(name: "content-range") { headers.replaceOrAdd(name: .contentRange, value: contentRange) }
        let length = upstream.headers.first(name: "content-length").flatMap(Int64.init)
        // Kept only when this is the whole file and it fits the cache.
        let keep = upstream.status.code == 200 && length.map { $0 > 0 && $0 <= limitBytes / 4 } == true
        let cache = self
        let body = Response.Body(
            asyncStream: { writer in
                var sink = keep ? CacheSink(final: cached, expected: length ?? 0) : nil
                do {
                    for try await chunk in upstream.body {
                        try await writer.write(.buffer(chunk))
                        await sink?.append(chunk)
                    }
                    try await writer.write(.end)
                    if var whole = sink, await whole.finish() { await cache.trim(keeping: cached) }
                } catch {
                    sink?.discard()
                    try? await writer.write(.error(error))
                }
            }, count: length.map { Int(clamping: $0) } ?? -1)
        return Response(status: upstream.status.code == 206 ? .partialContent : .ok, headers: headers, body: body)
    }

    /// The whole file on disk, fetched first when it is not.
    func localCopy(_ source: RemoteMediaSource, on database: any Database) async throws -> String {
        if try await refused(source, on: database.sql) {
            throw APIError(status: .forbidden, code: "media_refused", message: "This server's administrators refuse media from that server.")
        }
        let cached = path(source)
        if FileManager.default.fileExists(atPath: cached.path) {
            try? FileManager.default.setAttributes([.modificationDate: Date()], ofItemAtPath: cached.path)
            return cached.path
        }
        let client = try client()
        let upstream = try await client.open(
            source.url, headers: [], as: try await signer(source, client: client, on: database), on: database.sql)
        guard upstream.status.code == 200 else { throw FederationError.transient("\(source.url) answered HTTP \(upstream.status.code)") }
        var sink = CacheSink(final: cached, expected: upstream.headers.first(name: "content-length").flatMap(Int64.init) ?? 0)
        var received: Int64 = 0
        do {
            for try await chunk in upstream.body {
                received += Int64(chunk.readableBytes)
                // One file may take a quarter of the cache at most, or it would push out everything else.
                guard received <= limitBytes / 4 else { throw FederationError.refused("\(source.url) is larger than the remote audio cache allows") }
                await sink.append(chunk)
            }
        } catch {
            sink.discard()
            throw error
        }
        guard await sink.finish() else { throw FederationError.transient("\(source.url): the copy was cut short") }
        await trim(keeping: cached)
        return cached.path
    }

    /// Removes the copies played longest ago until the cache fits its limit.
    func trim(keeping kept: URL) async {
        let directory = directory
        let limit = limitBytes
        await runBlocking {
            let keys: [URLResourceKey] = [.fileSizeKey, .contentModificationDateKey]
            guard let files = try? FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: keys) else { return }
            var entries = files.compactMap { url -> (URL, Int64, Date)? in
                guard !url.lastPathComponent.hasPrefix("incoming-"), let values = try? url.resourceValues(forKeys: Set(keys)) else { return nil }
                return (url, Int64(values.fileSize ?? 0), values.contentModificationDate ?? .distantPast)
            }
            var total = entries.reduce(0) { $0 + $1.1 }
            entries.sort { $0.2 < $1.2 }
            for (url, size, _) in entries where total > limit && url != kept {
                try? FileManager.default.removeItem(at: url)
                total -= size
            }
        }
    }
}

/// Writes a copy beside its final name and renames it into place only when whole.
struct CacheSink: Sendable {
    let final: URL
    let incoming: URL
    let expected: Int64
    private(set) var written: Int64 = 0
    private var pending: [UInt8] = []
    private var failed = false

    init(final: URL, expected: Int64) {
        self.final = final
        self.expected = expected
        incoming = final.deletingLastPathComponent().appendingPathComponent("incoming-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: final.deletingLastPathComponent(), withIntermediateDirectories: true)
        failed = !FileManager.default.createFile(atPath: incoming.path, contents: nil)
    }

    mutating func append(_ chunk: ByteBuffer) async {
        guard !failed else { return }
        pending.append(contentsOf: chunk.readableBytesView)
        written += Int64(chunk.readableBytes)
        if pending.count >= 1 << 20 { await flush() }
    }

    private mutating func flush() async {
        let bytes = pending
        pending = []
        let url = incoming
        let ok = await runBlocking { () -> Bool in
            guard let handle = try? FileHandle(forWritingTo: url) else { return false }
            defer { try? handle.close() }
            do {
                try handle.seekToEnd()
                try handle.write(contentsOf: bytes)
                return true
            } catch { return false }
        }
        if !ok { failed = true }
    }

    /// True when the whole file arrived and is in place.
    mutating func finish() async -> Bool {
        await flush()
        guard !failed, expected == 0 || written == expected else {
            discard()
            return false
        }
        let (from, to) = (incoming, final)
        return await runBlocking {
            try? FileManager.default.removeItem(at: to)
            return (try? FileManager.default.moveItem(at: from, to: to)) != nil
        }
    }

    func discard() { try? FileManager.default.removeItem(at: incoming) }
}

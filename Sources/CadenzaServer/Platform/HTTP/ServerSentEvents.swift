import Logging
import NIOCore
import Vapor

/// A `text/event-stream` response: unbuffered through proxies, `opening` written at once (it
/// flushes the headers, so clients see the stream open), a comment ping every 15 s (keep-alive
/// through proxies, and the way a vanished client is noticed), and `finished` run once however
/// the stream ends.
enum ServerSentEvents {
    static func response(
        opening: String, logger: Logger, finished: @escaping @Sendable () -> Void,
        produce: @escaping @Sendable (_ writer: any AsyncBodyStreamWriter) async throws -> Void
    ) -> Response {
        let response = Response(status: .ok)
        response.headers.contentType = HTTPMediaType(type: "text", subType: "event-stream", parameters: ["charset": "utf-8"])
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-cache")
        response.headers.replaceOrAdd(name: "X-Accel-Buffering", value: "no")
        response.body = .init(asyncStream: { writer in
            do {
                try await writer.write(.buffer(ByteBuffer(string: opening)))
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await produce(writer) }
                    group.addTask {
                        while true {
                            try await Task.sleep(for: .seconds(15))
                            try await writer.write(.buffer(ByteBuffer(string: ": ping\n\n")))
                        }
                    }
                    try await group.next()
                    group.cancelAll()
                }
                try await writer.write(.end)
            } catch {
                logger.debug("SSE client gone", metadata: ["error": .string("\(error)")])
                try? await writer.write(.end)
            }
            finished()
        })
        return response
    }
}

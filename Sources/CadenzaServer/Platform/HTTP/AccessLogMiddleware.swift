import Vapor

/// One info line per request when `CADENZA_ACCESS_LOG=1`. The path is logged without its query:
/// Subsonic and Last.fm clients put credentials there (`p=`, `t=`, `s=`, `api_sig`).
struct AccessLogMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let start = ContinuousClock.now
        do {
            let response = try await next.respond(to: request)
            log(request, status: response.status.code, since: start)
            return response
        } catch {
            // JSONErrorMiddleware sits inside this one; what reaches here never got an answer.
            log(request, status: (error as? any AbortError)?.status.code ?? 500, since: start)
            throw error
        }
    }

    private func log(_ request: Request, status: UInt, since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        request.logger.info(
            "request",
            metadata: [
                "method": .string(request.method.rawValue), "path": .string(request.url.path), "status": .stringConvertible(status),
                "ms": .stringConvertible((ms * 10).rounded() / 10), "client": .string(request.clientIP),
            ])
    }
}

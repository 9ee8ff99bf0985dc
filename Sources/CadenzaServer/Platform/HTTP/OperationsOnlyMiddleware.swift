import Vapor

/// What a process without the api role serves on its operations port: `/metrics`, `/healthz`
/// and `/readyz`; any other request is a 404 before it reaches a route.
struct OperationsOnlyMiddleware: AsyncMiddleware {
    static let paths: Set<String> = ["/metrics", "/healthz", "/readyz"]

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard request.method == .GET || request.method == .HEAD, Self.paths.contains(request.url.path) else {
            return JSONErrorMiddleware.response(for: APIError.notFound("Endpoint"), request: request)
        }
        return try await next.respond(to: request)
    }
}

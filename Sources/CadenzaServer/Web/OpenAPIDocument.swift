import Vapor

/// The OpenAPI 3 description of `/api/v1`, joined from each feature's `apiDocumentation`. A test
/// checks that every registered route is there.
enum OpenAPIDocument {
    @Sendable static func serve(req: Request) async throws -> Response {
        let response = Response(status: .ok, body: .init(string: try req.application.cadenza.apiDocument))
        response.headers.contentType = .json
        return response
    }
}

import Vapor

/// Every HTTP route: each feature adds its own, under the host root or the authenticated API.
func routes(_ app: Application, features: [any Feature], services: AppServices) throws {
    let api = app.grouped("api", "v1").grouped(AuthMiddleware())
    let routes = FeatureRoutes(root: app, api: api, services: services)
    for feature in features { try feature.routes(routes) }

    // Anything else under /api answers in the API's own error format.
    app.grouped("api").get("**") { _ -> Response in throw APIError.notFound("Endpoint") }
}

import Vapor

/// The web app: its static files and shell, the first-run page, the OpenAPI document and the
/// web player's play reports.
public struct WebFeature: Feature {
    public init() {}

    public var name: String { "web" }

    public func routes(_ routes: FeatureRoutes) throws {
        let app = routes.root
        app.get("setup", use: WebPages.setup)
        app.get("static", "setup.js", use: WebPages.setupScript)
        app.get(use: WebApp.shell)
        app.get("app", "**", use: WebApp.file)
        app.get("sw.js", use: WebApp.serviceWorker)
        app.get("favicon.ico", use: WebApp.favicon)

        let api = routes.api
        api.get("openapi.json", use: OpenAPIDocument.serve)
        api.post("plays", use: PlaysController.report)
    }
}

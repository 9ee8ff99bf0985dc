import ServiceLifecycle
import Vapor

/// Vapor's HTTP server as a service: it stops accepting and finishes in-flight requests on
/// graceful shutdown. Listed last, so it stops first and the services it calls stop after it.
struct HTTPServerService: Service {
    let app: Application

    func run() async throws {
        try await app.server.start(address: nil)
        try? await gracefulShutdown()
        await app.server.shutdown()
    }
}

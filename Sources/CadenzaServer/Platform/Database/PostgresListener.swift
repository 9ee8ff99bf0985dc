import Logging
import NIOConcurrencyHelpers
import PostgresKit
import PostgresNIO
import ServiceLifecycle
import Vapor

/// Holds one dedicated PostgreSQL connection that LISTENs for job and event notifications and
/// turns them into in-process wake-ups. Reconnects with backoff; the pollers cover any gap.
final class PostgresListener: Service, Sendable {
    private let configuration: PostgresConnection.Configuration
    private let logger: Logger
    /// Each channel's handler, given each notification's payload, and `nil` after a reconnect
    /// (notifications sent meanwhile are lost).
    private let channels: [String: Invalidations.Handler]

    init(url: String, channels: [String: Invalidations.Handler], logger: Logger) throws {
        // The pool's own reading of the URL, TLS (`sslmode=`) included, so both connect alike.
        guard var config = try? SQLPostgresConfiguration(url: url).coreConfiguration else {
            throw SettingsError(problems: ["CADENZA_DATABASE_URL: cannot be read"])
        }
        config.options.connectTimeout = .seconds(10)
        self.configuration = config
        self.channels = channels
        self.logger = logger
    }

    /// Listens (reconnecting as needed) until graceful shutdown.
    func run() async throws {
        await cancelWhenGracefulShutdown {
            var delay = Duration.milliseconds(250)
            while !Task.isCancelled {
                do {
                    let connection = try await PostgresConnection.connect(configuration: self.configuration, id: 1, logger: self.logger)
                    delay = .milliseconds(250)
                    do {
                        try await withThrowingTaskGroup(of: Void.self) { group in
                            for (channel, handler) in self.channels {
                                group.addTask {
                                    for try await note in try await connection.listen(channel) { handler(note.payload) }
                                }
                            }
                            // Anything written while we were disconnected: wake everyone once.
                            self.channels.values.forEach { $0(nil) }
                            try await group.next()
                            group.cancelAll()
                        }
                    } catch {
                        self.logger.debug("LISTEN ended", metadata: ["error": .string("\(error)")])
                    }
                    // Closed on every path, cancellation included: PostgresNIO requires it.
                    try? await connection.close()
                } catch {
                    if Task.isCancelled { break }
                    self.logger.debug("LISTEN connection lost; reconnecting", metadata: ["error": .string("\(error)")])
                }
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(10))
            }
        }
    }
}

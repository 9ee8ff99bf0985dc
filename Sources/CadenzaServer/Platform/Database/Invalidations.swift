import SQLKit

/// Tells the other nodes that something a feature caches has changed (a revoked token), so no
/// node answers from a stale entry for longer than a NOTIFY takes: a feature publishes
/// `topic` + value, and every node's LISTEN connection hands the value to the feature's handler
/// (`Feature.invalidations`). A handler given `nil` must forget everything: its node was
/// disconnected and may have missed some. On SQLite there is one process: nothing to tell.
public enum Invalidations {
    public typealias Handler = @Sendable (String?) -> Void

    static let notifyChannel = "cadenza_invalidate"

    static func publish(_ topic: String, _ value: String, on db: any SQLDatabase) async throws {
        guard db.isPostgres else { return }
        try await db.raw("SELECT pg_notify(\(bind: notifyChannel), \(bind: topic + ":" + value))").run()
    }

    /// The LISTEN handler for `notifyChannel`: "topic:value" to that topic's handler.
    static func dispatcher(_ handlers: [String: Handler]) -> Handler {
        { payload in
            guard let payload else {
                handlers.values.forEach { $0(nil) }
                return
            }
            let parts = payload.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, let handler = handlers[String(parts[0])] else { return }
            handler(String(parts[1]))
        }
    }
}

import ServiceLifecycle

/// A service that does nothing until graceful shutdown, then runs `action` once: for state a
/// process buffers in memory and must write out before it exits (rate-limit counters).
public struct ShutdownHook: Service {
    let action: @Sendable () async -> Void

    public init(_ action: @escaping @Sendable () async -> Void) {
        self.action = action
    }

    public func run() async throws {
        try? await gracefulShutdown()
        await action()
    }
}

import NIOCore
import NIOPosix

/// Process-wide runtime choices the executable makes once, first thing.
public enum CadenzaRuntime {
    /// Runs Swift concurrency on the same event-loop threads as Vapor and the database drivers,
    /// instead of a separate pool: every awaited query otherwise costs two thread switches.
    public static func useEventLoopsForConcurrency() {
        _ = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
    }
}

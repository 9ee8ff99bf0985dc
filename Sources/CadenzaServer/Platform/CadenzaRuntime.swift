import Foundation
import NIOCore
import NIOPosix

/// Process-wide runtime choices the executable makes once, first thing.
public enum CadenzaRuntime {
    /// Runs Swift concurrency on the same event-loop threads as Vapor and the database drivers,
    /// instead of a separate pool: every awaited query otherwise costs two thread switches.
    public static func useEventLoopsForConcurrency() {
        _ = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
    }

    /// Raises the open-file limit to what the system allows: the usual soft limit of 1,024 is
    /// reached by a few hundred listeners, streams and idle clients, and then every new
    /// connection fails. Returns the limit now in force.
    @discardableResult
    public static func raiseOpenFileLimit() -> UInt64 {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 0 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return UInt64(limit.rlim_cur)
    }
}

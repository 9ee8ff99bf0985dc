import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#endif

/// Hands memory freed after a burst of work back to the system. glibc keeps what each thread's
/// arena freed for the next burst; after a 20,000-track scan inside `serve` that was 7 MB of an
/// idle server's resident memory. Every `interval`, on a blocking thread (the call takes the
/// arenas' locks for a moment). Once the process has been idle for a round (under 2 % of a core),
/// caches it would refill at once under load go too: the database's page caches and the machine
/// code not run lately (`CodePages`).
struct FreedMemoryService: Service {
    var interval: Duration = .seconds(30)
    /// Lets go of caches an idle process does not need (SQLite's page caches); before the heap trim.
    var releaseCaches: @Sendable () async -> Void = {}

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            var used = Self.cpuSeconds()
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                let now = Self.cpuSeconds()
                let idle = now - used < Double(interval.components.seconds) * 0.02
                used = now
                if idle { await releaseCaches() }
                await runBlocking {
                    Self.returnToSystem()
                    if idle { CodePages.release() }
                }
            }
        }
    }

    /// The CPU time this process has used (user and system), in seconds.
    static func cpuSeconds() -> Double {
        #if canImport(Glibc)
            var usage = rusage()
            guard getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage) == 0 else { return 0 }
            let user = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            let system = Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
            return user + system
        #else
            return 0
        #endif
    }

    private typealias Trim = @convention(c) (Int) -> Int32

    /// Looked up at run time: `malloc.h` is not in Swift's Glibc module, and another C library
    /// may not have the call.
    static func returnToSystem() {
        #if canImport(Glibc)
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return }
            _ = unsafeBitCast(symbol, to: Trim.self)(0)
        #endif
    }
}

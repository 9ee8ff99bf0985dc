import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#endif

/// Hands memory freed after a burst of work back to the system. glibc keeps what each thread's
/// arena freed for the next burst; after a 20,000-track scan inside `serve` that was 7 MB of an
/// idle server's resident memory. Every `interval`, on a blocking thread (the call takes the
/// arenas' locks for a moment).
struct FreedMemoryService: Service {
    var interval: Duration = .seconds(30)

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                await runBlocking {
                    Self.returnToSystem()
                    CodePages.release()
                }
            }
        }
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

import Foundation

/// Runs blocking or CPU-heavy work (file system walks, TagLib, parsing an import, waiting for a
/// child process) off the threads that serve HTTP: Swift concurrency runs on the event loops here
/// (CadenzaRuntime installs them as the global executor), so a long synchronous call in a job
/// would stall every request and miss the job's heartbeats.
func runBlocking<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(returning: work()) }
    }
}

/// `runBlocking` for work that throws.
func runBlockingThrowing<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
    }
}

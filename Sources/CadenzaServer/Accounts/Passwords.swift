import Vapor

extension Application {
    /// bcrypt runs on the thread pool: at cost 12 it takes a quarter second of CPU.
    func hashPassword(_ password: String) async throws -> String {
        let cost = try settings.bcryptCost
        return try await threadPool.runIfActive { try Bcrypt.hash(password, cost: cost) }
    }

    func verifyPassword(_ password: String, hash: String) async throws -> Bool {
        try await threadPool.runIfActive { (try? Bcrypt.verify(password, created: hash)) ?? false }
    }
}

import Fluent
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

extension Request {
    /// Asks the signed-in user to prove they know the account password before a sensitive
    /// change (the app password): a stolen session or token alone is not enough. 403 otherwise.
    func confirmPassword(_ password: String?) async throws {
        let principal = try requireUser()
        guard let password, !password.isEmpty, password.utf8.count <= 1024,
            let user = try await User.find(principal.userID, on: db),
            try await application.verifyPassword(password, hash: user.passwordHash)
        else {
            throw APIError(status: .forbidden, code: "password_required", message: "Enter your account password (currentPassword) to do this.")
        }
    }
}

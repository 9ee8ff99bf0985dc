import Fluent
import SQLKit
import Foundation
import Vapor

/// An account. Fluent model; API shapes are ``UserDTO``.
final class User: Model, @unchecked Sendable {
    // Fluent models are reference types mutated through property wrappers; each instance is
    // used by one task at a time, which is what @unchecked promises here.
    static let schema = "users"

    typealias Role = UserRole

    @ID(custom: "id", generatedBy: .database) var id: Int64?
    @Field(key: "username") var username: String
    @Field(key: "username_key") var usernameKey: String
    @Field(key: "password_hash") var passwordHash: String
    @Field(key: "role") var role: Role
    @Field(key: "created_at") var createdAt: Int64
    @Field(key: "updated_at") var updatedAt: Int64

    init() {}

    init(username: String, passwordHash: String, role: Role) {
        let now = Clock.nowMillis()
        self.username = username
        self.usernameKey = User.key(for: username)
        self.passwordHash = passwordHash
        self.role = role
        self.createdAt = now
        self.updatedAt = now
    }

    var isAdmin: Bool { role == .admin }

    static func key(for username: String) -> String {
        username.precomposedStringWithCanonicalMapping.lowercased()
    }
}

struct UserDTO: Content {
    var id: String
    var username: String
    var role: User.Role
    var createdAt: Date
}

extension User {
    func toDTO() throws -> UserDTO {
        UserDTO(id: String(try requireID()), username: username, role: role, createdAt: Clock.date(createdAt))
    }
}

extension User {
    /// The account `userID` acting through a link the server made for it (no session, no
    /// token), with the credential stamp the link must have been made with.
    static func linkPrincipal(userID: Int64, scope: TokenScope, on db: any SQLDatabase) async throws -> (principal: Principal, stamp: String)? {
        guard let row = try await db.raw("SELECT username, role, password_hash FROM users WHERE id = \(bind: userID)").first() else {
            return nil
        }
        let principal = Principal(
            userID: userID, username: try row.decode(column: "username", as: String.self),
            role: Role(rawValue: try row.decode(column: "role", as: String.self)) ?? .user, method: .token(id: 0), scope: scope)
        return (principal, stamp(passwordHash: try row.decode(column: "password_hash", as: String.self)))
    }

    /// What links made for `userID` are signed with: it changes when the password does, so
    /// a new password ends them. (A digest: the hash itself never leaves this folder.)
    static func credentialStamp(userID: Int64, on db: any SQLDatabase) async throws -> String? {
        try await db.raw("SELECT password_hash FROM users WHERE id = \(bind: userID)").first()
            .map { stamp(passwordHash: try $0.decode(column: "password_hash", as: String.self)) }
    }

    private static func stamp(passwordHash: String) -> String {
        SHA256.hash(data: Data(passwordHash.utf8)).prefix(12).map { String(format: "%02x", $0) }.joined()
    }

    static func find(username: String, on db: any Database) async throws -> User? {
        try await User.query(on: db).filter(\.$usernameKey == key(for: username)).first()
    }

    /// Usernames: 1–64 characters, letters, digits and `._-@`; they appear in URLs and protocol fields.
    static func validate(username: String) throws {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "._-@"))
        guard (1...64).contains(username.count),
            username.unicodeScalars.allSatisfy({ allowed.contains($0) })
        else {
            throw APIError.unprocessable("Usernames are 1 to 64 letters, digits or . _ - @.", code: "invalid_username")
        }
        if let problem = lookAlikeProblem(username) { throw APIError.unprocessable(problem, code: "invalid_username") }
    }

    static func validate(password: String) throws {
        guard password.count >= 8, password.utf8.count <= 72 else {
            // bcrypt reads at most 72 bytes; longer would silently ignore the rest.
            throw APIError.unprocessable("Passwords are 8 to 72 bytes long.", code: "invalid_password")
        }
    }
}

import Fluent
import Vapor

/// Accounts: users, sign-in sessions, API tokens, invites and first-run setup.
public struct AccountsFeature: Feature {
    public init() {}

    public var name: String { "accounts" }

    public var migrations: [any Migration] {
        [M001_CreateUsers(), M002_CreateSessions(), M003_CreateAPITokens(), M012_CreateInvites(), M017_AddTokenScopes()]
    }

    public var eventTypes: [EventDescriptor] { AccountsEvents.all }

    public var notifiableEvents: [NotifiableEvent] { AccountsEvents.notifiable }

    public func configure(_ context: FeatureContext) throws {
        context.provide(TokenCache())
        context.jobs.register(AccountJobs.cleanup) { context in
            try await SessionStore.deleteExpired(on: context.db)
        }
    }

    public func invalidations(_ services: AppServices) -> [String: Invalidations.Handler] {
        guard let cache = try? services.state(TokenCache.self) else { return [:] }
        return [TokenCache.topic: { value in cache.forgetHere(userID: value.flatMap { Int64($0) }) }]
    }

    public func periodicTasks(_ settings: Settings) -> [PeriodicTask] {
        [.init(name: "accounts.cleanup", interval: 3600, kind: AccountJobs.cleanup)]
    }

    public func willServe(_ context: ServiceContext) async throws {
        try await Setup.announceIfNeeded(context.application)
    }

    public func routes(_ routes: FeatureRoutes) throws {
        let api = routes.api
        api.post("setup", use: AuthController.setup)
        api.post("auth", "login", use: AuthController.login)
        api.post("auth", "logout", use: AuthController.logout)
        api.get("me", use: AuthController.me)
        api.put("me", "password", use: AuthController.changePassword)
        api.get("tokens", use: TokensController.list)
        api.post("tokens", use: TokensController.create)
        api.delete("tokens", ":id", use: TokensController.revoke)
        api.get("users", use: UsersController.list)
        api.post("users", use: UsersController.create)
        api.get("users", ":id", use: UsersController.show)
        api.patch("users", ":id", use: UsersController.update)
        api.delete("users", ":id", use: UsersController.delete)
        api.get("invites", use: InvitesController.list)
        api.post("invites", use: InvitesController.create)
        api.delete("invites", ":id", use: InvitesController.revoke)
        api.post("invites", "check", use: InvitesController.check)
        api.post("invites", "accept", use: InvitesController.accept)
    }
}

enum AccountJobs {
    static let cleanup = "accounts.cleanup"
}

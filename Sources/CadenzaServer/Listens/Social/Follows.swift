import Fluent
import SQLKit
import Vapor

/// Who follows whom: followers receive a user's listens and playing-now live.
enum Follows {
    static func followees(of userID: Int64, on db: any SQLDatabase) async throws -> Set<Int64> {
        Set(
            try await db.raw("SELECT followee_id FROM follows WHERE follower_id = \(bind: userID)").all()
                .map { try $0.decode(column: "followee_id", as: Int64.self) })
    }

    static func followeeNames(of userID: Int64, on db: any SQLDatabase) async throws -> [String] {
        try await db.raw(
            """
            SELECT u.username FROM follows f JOIN users u ON u.id = f.followee_id
            WHERE f.follower_id = \(bind: userID) ORDER BY u.username_key
            """
        ).all().map { try $0.decode(column: "username", as: String.self) }
    }

    /// Starts or stops following; the event tells the follower's open feeds at once.
    static func set(follower: Int64, followee: Int64, following: Bool, on db: any SQLDatabase) async throws {
        let changed: Bool
        if following {
            changed =
                !(try await db.raw(
                    """
                    INSERT INTO follows (follower_id, followee_id, created_at) VALUES (\(bind: follower), \(bind: followee), \(bind: Clock.nowMillis()))
                    ON CONFLICT DO NOTHING RETURNING follower_id
                    """
                ).all().isEmpty)
        } else {
            changed =
                !(try await db.raw(
                    """
                    DELETE FROM follows WHERE follower_id = \(bind: follower) AND followee_id = \(bind: followee) RETURNING follower_id
                    """
                ).all().isEmpty)
        }
        guard changed else { return }
        try await EventStore.append(
            following ? ListensEvents.followed : ListensEvents.unfollowed,
            payload: .init(followerId: String(follower), followeeId: String(followee)),
            actorID: follower, subjectID: String(followee), audienceUserID: followee, on: db)
    }
}

enum FollowsController {
    struct FollowingDTO: Content {
        var following: [String]
    }

    @Sendable static func list(req: Request) async throws -> FollowingDTO {
        let viewer = try req.requireUser()
        return FollowingDTO(following: try await Follows.followeeNames(of: viewer.userID, on: req.sql))
    }

    @Sendable static func follow(req: Request) async throws -> FollowingDTO {
        try await change(req, following: true)
    }

    @Sendable static func unfollow(req: Request) async throws -> FollowingDTO {
        try await change(req, following: false)
    }

    private static func change(_ req: Request, following: Bool) async throws -> FollowingDTO {
        let viewer = try req.requireUser()
        let name = req.parameters.get("username") ?? ""
        guard let target = try await ListenOwner.load(username: name, on: req.sql),
            ListenAccess.canRead(target, viewer: viewer)
        else { throw APIError.notFound("User") }
        guard target.userID != viewer.userID else {
            throw APIError.unprocessable("You cannot follow yourself.", code: "invalid_follow")
        }
        try await req.db.writeTransaction { tx in
            try await Follows.set(follower: viewer.userID, followee: target.userID, following: following, on: tx.sql)
        }
        return FollowingDTO(following: try await Follows.followeeNames(of: viewer.userID, on: req.sql))
    }
}

import Fluent
import Foundation
import SQLKit
import Vapor

/// `GET|PUT /api/v1/me/listen-settings`: the time zone stats are bucketed in, who may read
/// the user's listens, and whether they may shape others' recommendations.
enum ListenSettingsController {
    struct SettingsDTO: Content {
        var timeZone: String
        var visibility: String
        /// Private listens are never used for others, whatever this says.
        var useForRecommendations: Bool
    }

    struct SettingsUpdate: Decodable {
        var timeZone: String?
        var visibility: String?
        var useForRecommendations: Bool?
    }

    static func useForRecommendations(userID: Int64, on db: any SQLDatabase) async throws -> Bool {
        try await db.raw("SELECT listens_for_discovery FROM users WHERE id = \(bind: userID)").first()?
            .decode(column: "listens_for_discovery", as: Bool.self) ?? false
    }

    @Sendable static func show(req: Request) async throws -> SettingsDTO {
        let viewer = try req.requireUser()
        guard let owner = try await ListenOwner.load(userID: viewer.userID, on: req.sql) else { throw APIError.unauthorized() }
        return SettingsDTO(
            timeZone: owner.timeZone, visibility: owner.visibility,
            useForRecommendations: try await useForRecommendations(userID: viewer.userID, on: req.sql))
    }

    @Sendable static func update(req: Request) async throws -> SettingsDTO {
        let viewer = try req.requireUser()
        let update = try await req.decodeJSON(SettingsUpdate.self)
        guard let owner = try await ListenOwner.load(userID: viewer.userID, on: req.sql) else { throw APIError.unauthorized() }
        var problems: [String] = []
        if let zone = update.timeZone, zone.count > 64 || TimeZone(identifier: zone) == nil {
            problems.append("timeZone must be an IANA time zone such as Europe/Berlin.")
        }
        if let visibility = update.visibility, !ListenAccess.visibilities.contains(visibility) {
            problems.append("visibility must be public, instance or private.")
        }
        guard problems.isEmpty else { throw APIError.unprocessable(problems.joined(separator: " "), code: "invalid_settings") }
        let zone = update.timeZone ?? owner.timeZone, visibility = update.visibility ?? owner.visibility
        var sharing = update.useForRecommendations ?? false
        if update.useForRecommendations == nil { sharing = try await useForRecommendations(userID: viewer.userID, on: req.sql) }
        let share = sharing
        let sharedBefore = try await useForRecommendations(userID: viewer.userID, on: req.sql)
        let wasShared = owner.visibility != "private" && sharedBefore
        let isShared = visibility != "private" && share
        let withdrawn = wasShared && !isShared
        try await req.db.writeTransaction { tx in
            try await tx.sql.raw(
                """
                UPDATE users SET time_zone = \(bind: zone), listens_visibility = \(bind: visibility), listens_for_discovery = \(bind: share)
                WHERE id = \(bind: viewer.userID)
                """
            ).run()
            if visibility == "private" {
                // Followers would otherwise keep receiving what they may no longer read.
                let followers = try await tx.sql.raw("SELECT follower_id FROM follows WHERE followee_id = \(bind: viewer.userID)").all()
                for row in followers {
                    try await Follows.set(
                        follower: try row.decode(column: "follower_id", as: Int64.self), followee: viewer.userID,
                        following: false, on: tx.sql)
                }
            }
            if zone != owner.timeZone {
                try await JobQueue.enqueue(
                    try .init(
                        kind: ListenJobs.rebuildStats, payload: ListenJobs.UserPayload(userId: viewer.userID),
                        uniqueKey: "listens.rebuild-stats:\(viewer.userID)"), on: tx.sql)
            }
            if wasShared != isShared {
                // Search ranks equals by the plays of those who share them, in indexes kept per catalog version.
                try await CatalogCache.bump(on: tx.sql)
            }
            if withdrawn {
                // Discovery rebuilds its model without them at once, not at the next nightly build.
                try await EventStore.append(
                    ListensEvents.sharingWithdrawn, payload: .init(userId: viewer.userID), actorID: viewer.userID,
                    subjectID: String(viewer.userID), on: tx.sql)
            }
        }
        try await req.application.tokenCache.forget(userID: viewer.userID, on: req.sql)
        return SettingsDTO(timeZone: zone, visibility: visibility, useForRecommendations: share)
    }
}

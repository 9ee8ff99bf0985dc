import Fluent
import Foundation
import SQLKit
import Vapor

/// The listens feature's background work: imports, rollups of large batches, stats rebuilds
/// after a time-zone change, and pruning day rollups no range needs any more.
enum ListenJobs {
    static let rebuildStats = "listens.rebuild-stats"
    static let prune = "listens.prune"

    struct UserPayload: Codable {
        var userId: Int64
    }

    static let periodic: [PeriodicTask] = [
        .init(name: "listens-prune", interval: 6 * 3600, kind: prune)
    ]

    static func register(on jobs: JobRegistry) {
        ListenImports.register(on: jobs)
        jobs.register(rebuildStats) { context in
            let payload = try context.job.decodePayload(UserPayload.self)
            try await context.database.writeTransaction { tx in
                guard let owner = try await ListenOwner.load(userID: payload.userId, on: tx.sql) else { return }
                try await ListenStore.lockOwner(owner.userID, .rewrite, on: tx.sql)
                try await StatsRollup.rebuild(userID: owner.userID, calendar: owner.calendar, now: Clock.nowMillis() / 1000, on: tx.sql)
                _ = try await context.complete(on: tx.sql)
            }
        }
        jobs.register(StatsRollup.backlogJob) { context in
            let payload = try context.job.decodePayload(UserPayload.self)
            // A step per transaction: a deletion or a rebuild waits for the step under way.
            while true {
                let taken = try await context.database.writeTransaction { tx -> Int in
                    try await ListenStore.lockOwner(payload.userId, .rollUp, on: tx.sql)
                    guard let owner = try await ListenOwner.load(userID: payload.userId, on: tx.sql) else { return 0 }
                    return try await StatsRollup.addBacklog(owner: owner, now: Clock.nowMillis() / 1000, on: tx.sql)
                }
                if taken < StatsRollup.backlogRowsPerStep { break }
            }
        }
        jobs.register(prune) { context in
            let now = Clock.nowMillis()
            try await StatsRollup.pruneDays(now: now / 1000, on: context.db)
            try await context.db.raw("DELETE FROM listen_playing_now WHERE expires_at < \(bind: now)").run()
            try await context.db.raw("DELETE FROM lastfm_tokens WHERE created_at < \(bind: now - 3_600_000)").run()
            try await ListenImports.sweep(context: context)
        }
    }
}

import Foundation
import SQLKit

/// Daily housekeeping: deliveries whose job ended without them are failed; finished deliveries
/// and the activities they carried go after 30 days (a replay would need a fresh signature
/// anyway); half-written copies of remote audio left by a killed process go.
enum FederationCleanup {
    static let job = "federation.cleanup"
    static let task = PeriodicTask(name: "federation-cleanup", interval: 3600, kind: job)
    static let keepMillis: Int64 = 30 * 86_400_000

    static func register(_ jobs: JobRegistry) {
        jobs.register(job) { context in
            let db = context.db
            let before = Clock.nowMillis() - keepMillis
            try await FederationDeliveries.failAbandoned(on: db)
            try await db.raw("DELETE FROM federation_deliveries WHERE status <> 'queued' AND updated_at < \(bind: before)").run()
            try await db.raw(
                """
                DELETE FROM federation_activities WHERE created_at < \(bind: before) AND status <> 'received'
                AND NOT EXISTS (SELECT 1 FROM federation_deliveries d WHERE d.activity_id = federation_activities.id)
                """
            ).run()
            let directory = context.settings.dataDirectory.appendingPathComponent("remote-audio")
            _ = await runBlocking { StaleFiles.sweep(directory, olderThan: 3600) { !$0.hasPrefix("incoming-") } }
        }
    }
}

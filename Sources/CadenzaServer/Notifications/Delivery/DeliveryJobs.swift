import CadenzaMail
import Crypto
import Foundation
import SQLKit

/// The jobs that send notifications: one batch at a time, retried with backoff (in the rows,
/// so a job killed mid-send is run again and the receiver sees the same message id), digests
/// gathered on a timer, and destinations' confirmations and test messages.
enum DeliveryJobs {
    static let digestsJob = "notifications.digests"
    static let testJob = "notifications.test"

    struct DestinationPayload: Codable, Sendable {
        var destinationId: Int64
    }

    static func register(_ jobs: JobRegistry) {
        jobs.register(Deliveries.deliverJob) { try await deliver($0) }
        jobs.register(digestsJob) { try await gatherDigests($0) }
        jobs.register(testJob) { try await test($0) }
    }

    static func sender(_ context: JobContext) throws -> NotificationSender {
        NotificationSender(
            settings: context.settings, mail: try context.settings.section(MailSettings.self),
            notify: try context.settings.section(NotificationSettings.self), secrets: context.services.secrets)
    }

    static func messageID(batchID: Int64) -> String { "msg_cadenza_\(batchID)" }

    // MARK: - One batch

    static func deliver(_ context: JobContext) async throws {
        guard let payload = try? context.job.decodePayload(Deliveries.DeliverPayload.self) else {
            throw PermanentJobError("not a delivery payload")
        }
        let batchID = payload.batchId
        let items = try await Deliveries.batch(batchID, on: context.db)
        guard let first = items.first else {
            _ = try await context.complete(on: context.db)
            return
        }
        guard let destination = try await NotificationDestinations.find(first.destinationID, on: context.db), destination.isUsable else {
            try await context.database.writeTransaction { tx in
                try await Deliveries.finish(batchID: batchID, status: "failed", error: "the destination is turned off", on: tx.sql)
                try await completeOrRollBack(context, on: tx.sql)
            }
            return
        }
        let now = Clock.nowMillis()
        if items.allSatisfy({ ($0.expiresAt ?? .max) < now }) {
            try await context.database.writeTransaction { tx in
                try await Deliveries.finish(batchID: batchID, status: "expired", error: nil, on: tx.sql)
                try await completeOrRollBack(context, on: tx.sql)
            }
            return
        }
        let sender = try sender(context)
        let outcome = await sender.send(items, messageID: messageID(batchID: batchID), to: destination)
        let notify = try context.settings.section(NotificationSettings.self)
        try await context.database.writeTransaction { tx in
            let db = tx.sql
            switch outcome {
            case .sent:
                try await Deliveries.finish(batchID: batchID, status: "sent", error: nil, on: db)
                try await NotificationDestinations.succeeded(destination.id, on: db)
            case .permanent(let error, let disable):
                try await Deliveries.finish(batchID: batchID, status: "failed", error: error, on: db)
                _ = try await NotificationDestinations.failed(destination.id, error: error, on: db)
                if disable { try await turnOff(destination, reason: error, on: db) }
            case .retry(let error):
                let failures = try await NotificationDestinations.failed(destination.id, error: error, on: db)
                let attempts = first.attempts + 1
                if failures >= notify.disableAfter {
                    try await Deliveries.finish(batchID: batchID, status: "failed", error: error, on: db)
                    try await turnOff(destination, reason: "\(failures) failed tries in a row; the last: \(error)", on: db)
                } else if attempts >= notify.maxAttempts {
                    try await Deliveries.finish(batchID: batchID, status: "failed", error: error, on: db)
                } else {
                    // From the configured first delay, doubling, at most 6 hours apart, ±25 %.
                    let backoff = Backoff(base: TimeInterval(notify.retrySeconds), cap: 6 * 3600)
                    let next = Date().addingTimeInterval(backoff.delay(afterAttempt: attempts))
                    try await Deliveries.failedAttempt(batchID: batchID, nextAttemptAt: Clock.millis(next), error: error, on: db)
                    try await Deliveries.enqueue(batchID: batchID, at: next, on: db)
                }
            }
            try await completeOrRollBack(context, on: db)
        }
    }

    /// Completes the job in the transaction that records its outcome; a job whose lease was
    /// lost (another worker runs it now) rolls that back, so two workers never both schedule
    /// the next try.
    static func completeOrRollBack(_ context: JobContext, on db: any SQLDatabase) async throws {
        guard try await context.complete(on: db) else { throw CancellationError() }
    }

    /// Turns a destination off and tells its user in the app.
    static func turnOff(_ destination: NotificationDestination, reason: String, on db: any SQLDatabase) async throws {
        try await NotificationDestinations.disable(destination.id, on: db)
        try await EventStore.append(
            NotificationsEvents.destinationDisabled,
            payload: .init(destinationId: String(destination.id), name: destination.name, reason: reason), actorID: nil,
            subjectID: String(destination.id), audienceUserID: destination.userID, on: db)
    }

    // MARK: - Digests

    /// Sends what waited long enough (or is many enough), and what waited out a quiet hour or
    /// the rate limit; drops what expired while it waited.
    static func gatherDigests(_ context: JobContext) async throws {
        let now = Clock.nowMillis()
        try await Deliveries.expireHeld(now: now, on: context.db)
        for waiting in try await Deliveries.waiting(readyAt: now, on: context.db) {
            guard let destination = try await NotificationDestinations.find(waiting.destinationID, on: context.db), destination.isUsable
            else { continue }
            let ready =
                !destination.isDigest || (destination.digestCount > 0 && waiting.count >= destination.digestCount)
                || (destination.digestMinutes > 0 && now - waiting.oldest >= Int64(destination.digestMinutes) * 60_000)
                || (destination.lastDigestSlot(before: now).map { waiting.oldest < $0 } ?? false)
            guard ready else { continue }
            try await context.database.writeTransaction { tx in
                let rows = try await Deliveries.held(destinationID: destination.id, readyAt: now, limit: 200, on: tx.sql)
                _ = try await Deliveries.startBatch(rows.map(\.id), on: tx.sql)
            }
        }
        // Read notifications are kept 90 days, finished deliveries 30.
        try await Inbox.prune(readBefore: now - 90 * 86_400_000, on: context.db)
        try await Deliveries.prune(before: now - 30 * 86_400_000, on: context.db)
        _ = try await context.complete(on: context.db)
    }

    // MARK: - Confirmation and tests

    /// An unconfirmed email address gets its confirmation link; a webhook gets a test message
    /// and is confirmed by a 2xx answer; a confirmed address gets a test message.
    static func test(_ context: JobContext) async throws {
        guard let payload = try? context.job.decodePayload(DestinationPayload.self),
            let destination = try await NotificationDestinations.find(payload.destinationId, on: context.db),
            destination.disabledAt == nil
        else {
            // Gone, or turned off (perhaps unsubscribed by the address's owner): nothing is sent.
            _ = try await context.complete(on: context.db)
            return
        }
        let sender = try sender(context)
        let outcome: NotificationSender.Outcome
        let item = Delivery(
            id: 0, destinationID: destination.id, userID: destination.userID, eventID: 0, type: "notification.test", severity: "info",
            title: "Cadenza: a test notification", body: "If this reached you, Cadenza can send notifications to “\(destination.name)”.",
            link: "/#/notifications", ruleIDs: [], status: "queued", batchID: nil, attempts: 0, expiresAt: nil, createdAt: Clock.nowMillis())
        let messageID = "msg_cadenza_test_\(destination.id)_\(context.job.id)"
        if destination.kind == .email && destination.confirmedAt == nil {
            outcome = try await sendConfirmation(destination, sender: sender, context: context)
        } else {
            outcome = await sender.send([item], messageID: messageID, to: destination)
        }
        try await context.database.writeTransaction { tx in
            switch outcome {
            case .sent:
                if destination.kind == .webhook, destination.confirmedAt == nil || destination.disabledAt != nil {
                    try await NotificationDestinations.markConfirmed(destination.id, on: tx.sql)
                }
                if destination.kind == .email, destination.confirmedAt == nil {
                    try await tx.sql.raw("UPDATE notification_destinations SET last_error = NULL WHERE id = \(bind: destination.id)").run()
                } else {
                    try await NotificationDestinations.succeeded(destination.id, on: tx.sql)
                }
            case .retry(let error), .permanent(let error, _):
                try await tx.sql.raw(
                    "UPDATE notification_destinations SET last_error = \(bind: String(error.prefix(500))) WHERE id = \(bind: destination.id)"
                ).run()
            }
            try await completeOrRollBack(context, on: tx.sql)
        }
    }

    /// Mails the link that confirms an address; the token is made here and only its hash kept.
    static func sendConfirmation(
        _ destination: NotificationDestination, sender: NotificationSender, context: JobContext
    ) async throws
        -> NotificationSender.Outcome
    {
        guard let smtp = sender.mail.smtp, let from = sender.mail.from else { return .retry("no mail server is configured (CADENZA_SMTP_URL)") }
        // At most one confirmation message per address every ten minutes.
        if let pending = try await context.db.raw(
            "SELECT confirm_expires_at FROM notification_destinations WHERE id = \(bind: destination.id)"
        ).first()?.decode(column: "confirm_expires_at", as: Int64?.self), pending > Clock.nowMillis() + 24 * 3_600_000 - 600_000 {
            return .permanent("a confirmation link was sent less than ten minutes ago", disable: false)
        }
        let token = Secrets.randomToken()
        try await NotificationDestinations.setConfirmation(
            destination.id, tokenHash: Secrets.hash(token), expiresAt: Clock.nowMillis() + 24 * 3_600_000, on: context.db)
        let to: MailAddress
        do { to = try MailAddress(parsing: destination.address) } catch { return .permanent(error.description, disable: false) }
        let link = "\(sender.baseURL)/notifications/confirm?token=\(token)"
        let message = MailMessage(
            from: from, to: [to], subject: "Confirm your address for Cadenza notifications",
            text:
                "Someone (we hope you) asked Cadenza at \(sender.baseURL) to send notifications to this address.\n\nConfirm it: \(link)\n\nThe link works for 24 hours. If it was not you, ignore this message: nothing will be sent.\n",
            html:
                "<p>Someone (we hope you) asked Cadenza at \(XMLText.escape(sender.baseURL)) to send notifications to this address.</p><p><a href=\"\(XMLText.escape(link))\">Confirm it</a> (the link works for 24 hours).</p><p>If it was not you, ignore this message: nothing will be sent.</p>",
            headers: [("Auto-Submitted", "auto-generated")])
        let client = MailSettings.client(smtp, settings: sender.settings)
        do {
            _ = try await client.send(message)
            return .sent
        } catch {
            // Not sent: asking again is not refused by the ten-minute limit.
            try await NotificationDestinations.setConfirmation(destination.id, tokenHash: Secrets.hash(token), expiresAt: 0, on: context.db)
            return error.isPermanent ? .permanent(error.description, disable: false) : .retry(error.description)
        }
    }
}

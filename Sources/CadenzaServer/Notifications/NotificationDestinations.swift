import Foundation
import SQLKit

/// Where a user's notifications go.
struct NotificationDestination: Sendable, Equatable {
    enum Kind: String, Sendable, Codable, CaseIterable {
        case inbox, email, webhook
    }

    /// A webhook's body and headers: Standard Webhooks (signed JSON), or a preset for a push service.
    enum Format: String, Sendable, Codable, CaseIterable {
        case standard, ntfy, gotify
    }

    var id: Int64
    var userID: Int64
    var kind: Kind
    var name: String
    var address: String
    var format: Format?
    var secretSealed: String?
    var confirmedAt: Int64?
    var digestMinutes: Int
    var digestCount: Int
    /// Minutes after local midnight of a daily digest, in `timeZone`.
    var digestAt: Int?
    var timeZone: String
    var ratePerHour: Int
    var failures: Int
    var disabledAt: Int64?
    var lastError: String?
    var lastSentAt: Int64?

    /// Whether notifications may be sent to it now.
    var isUsable: Bool { disabledAt == nil && (kind == .inbox || confirmedAt != nil) }
    var isDigest: Bool { digestMinutes > 0 || digestCount > 0 || digestAt != nil }

    /// The latest daily digest time at or before `now` (milliseconds), if it has one.
    func lastDigestSlot(before now: Int64) -> Int64? {
        guard let digestAt else { return nil }
        return Self.lastSlot(minute: digestAt, timeZone: timeZone, now: now)
    }

    static func lastSlot(minute: Int, timeZone: String, now: Int64) -> Int64 {
        let calendar = LocalCalendar(identifier: timeZone)
        let today = calendar.day(now / 1000)
        let slot = (calendar.start(ofDay: today) + Int64(minute) * 60) * 1000
        return slot <= now ? slot : (calendar.start(ofDay: today - 1) + Int64(minute) * 60) * 1000
    }
}

/// Queries over `notification_destinations`.
enum NotificationDestinations {
    static func of(userID: Int64, on db: any SQLDatabase) async throws -> [NotificationDestination] {
        try await db.raw("SELECT * FROM notification_destinations WHERE user_id = \(bind: userID) ORDER BY id").all().map(destination(from:))
    }

    static func find(_ id: Int64, on db: any SQLDatabase) async throws -> NotificationDestination? {
        try await db.raw("SELECT * FROM notification_destinations WHERE id = \(bind: id)").first().map(destination(from:))
    }

    static func find(_ id: Int64, userID: Int64, on db: any SQLDatabase) async throws -> NotificationDestination? {
        try await find(id, on: db).flatMap { $0.userID == userID ? $0 : nil }
    }

    static func find(ids: [Int64], on db: any SQLDatabase) async throws -> [Int64: NotificationDestination] {
        guard !ids.isEmpty else { return [:] }
        var result: [Int64: NotificationDestination] = [:]
        for chunk in Array(Set(ids)).chunked(5000) {
            for row in try await db.raw("SELECT * FROM notification_destinations WHERE id IN \(SQLBindGroup(Array(chunk)))").all() {
                let destination = try destination(from: row)
                result[destination.id] = destination
            }
        }
        return result
    }

    private static func destination(from row: any SQLRow) throws -> NotificationDestination {
        NotificationDestination(
            id: try row.decode(column: "id", as: Int64.self),
            userID: try row.decode(column: "user_id", as: Int64.self),
            kind: NotificationDestination.Kind(rawValue: try row.decode(column: "kind", as: String.self)) ?? .inbox,
            name: try row.decode(column: "name", as: String.self),
            address: try row.decode(column: "address", as: String.self),
            format: try row.decode(column: "format", as: String?.self).flatMap(NotificationDestination.Format.init(rawValue:)),
            secretSealed: try row.decode(column: "secret_sealed", as: String?.self),
            confirmedAt: try row.decode(column: "confirmed_at", as: Int64?.self),
            digestMinutes: try row.decode(column: "digest_minutes", as: Int.self),
            digestCount: try row.decode(column: "digest_count", as: Int.self),
            digestAt: try row.decode(column: "digest_at", as: Int?.self),
            timeZone: try row.decode(column: "time_zone", as: String.self),
            ratePerHour: try row.decode(column: "rate_per_hour", as: Int.self),
            failures: try row.decode(column: "failures", as: Int.self),
            disabledAt: try row.decode(column: "disabled_at", as: Int64?.self),
            lastError: try row.decode(column: "last_error", as: String?.self),
            lastSentAt: try row.decode(column: "last_sent_at", as: Int64?.self))
    }

    /// The user's in-app inbox.
    static func inbox(of userID: Int64, on db: any SQLDatabase) async throws -> Int64? {
        try await db.raw(
            "SELECT id FROM notification_destinations WHERE user_id = \(bind: userID) AND kind = 'inbox' ORDER BY id LIMIT 1"
        ).first()?.decode(column: "id", as: Int64.self)
    }

    /// Makes the user's inbox; nil when they have one.
    static func createInbox(userID: Int64, on db: any SQLDatabase) async throws -> Int64? {
        try await db.raw(
            """
            INSERT INTO notification_destinations (user_id, kind, name, address, confirmed_at, digest_minutes, digest_count,
                rate_per_hour, failures, created_at)
            VALUES (\(bind: userID), 'inbox', 'In the app', '', \(bind: Clock.nowMillis()), 0, 0, 0, 0, \(bind: Clock.nowMillis()))
            ON CONFLICT DO NOTHING RETURNING id
            """
        ).first()?.decode(column: "id", as: Int64.self)
    }

    static func create(
        userID: Int64, kind: NotificationDestination.Kind, name: String, address: String, format: NotificationDestination.Format?,
        secretSealed: String?, confirmed: Bool, digestMinutes: Int = 0, digestCount: Int = 0, digestAt: Int? = nil,
        timeZone: String = "UTC", ratePerHour: Int = 30, on db: any SQLDatabase
    ) async throws -> Int64 {
        let now = Clock.nowMillis()
        let row = try await db.raw(
            """
            INSERT INTO notification_destinations (user_id, kind, name, address, format, secret_sealed, confirmed_at,
                digest_minutes, digest_count, digest_at, time_zone, rate_per_hour, failures, created_at)
            VALUES (\(bind: userID), \(bind: kind.rawValue), \(bind: name), \(bind: address), \(bind: format?.rawValue),
                \(bind: secretSealed), \(bind: confirmed ? now : nil), \(bind: digestMinutes), \(bind: digestCount),
                \(bind: digestAt), \(bind: timeZone), \(bind: ratePerHour), 0, \(bind: now))
            RETURNING id
            """
        ).first()
        return try row?.decode(column: "id", as: Int64.self) ?? 0
    }

    static func update(_ destination: NotificationDestination, on db: any SQLDatabase) async throws {
        try await db.raw(
            """
            UPDATE notification_destinations SET name = \(bind: destination.name), digest_minutes = \(bind: destination.digestMinutes),
                digest_count = \(bind: destination.digestCount), digest_at = \(bind: destination.digestAt),
                time_zone = \(bind: destination.timeZone), rate_per_hour = \(bind: destination.ratePerHour),
                disabled_at = \(bind: destination.disabledAt), failures = \(bind: destination.failures)
            WHERE id = \(bind: destination.id)
            """
        ).run()
    }

    static func delete(_ id: Int64, userID: Int64, on db: any SQLDatabase) async throws -> Bool {
        try await db.raw(
            "DELETE FROM notification_destinations WHERE id = \(bind: id) AND user_id = \(bind: userID) AND kind <> 'inbox' RETURNING id"
        ).first() != nil
    }

    /// Starts (or restarts) a confirmation: the token's hash and expiry; the token goes by mail.
    static func setConfirmation(_ id: Int64, tokenHash: String, expiresAt: Int64, on db: any SQLDatabase) async throws {
        try await db.raw(
            """
            UPDATE notification_destinations SET confirm_token_hash = \(bind: tokenHash), confirm_expires_at = \(bind: expiresAt)
            WHERE id = \(bind: id)
            """
        ).run()
    }

    /// An email address turned on again after an unsubscribe is confirmed again before use.
    static func requireConfirmation(_ id: Int64, on db: any SQLDatabase) async throws {
        try await db.raw("UPDATE notification_destinations SET confirmed_at = NULL WHERE id = \(bind: id)").run()
    }

    /// Confirms the destination holding this token, if it has not expired; returns it.
    static func confirm(tokenHash: String, on db: any SQLDatabase) async throws -> Int64? {
        try await db.raw(
            """
            UPDATE notification_destinations SET confirmed_at = \(bind: Clock.nowMillis()), confirm_token_hash = NULL,
                confirm_expires_at = NULL, disabled_at = NULL, failures = 0
            WHERE confirm_token_hash = \(bind: tokenHash) AND confirm_expires_at > \(bind: Clock.nowMillis())
            RETURNING id
            """
        ).first()?.decode(column: "id", as: Int64.self)
    }

    static func markConfirmed(_ id: Int64, on db: any SQLDatabase) async throws {
        try await db.raw(
            "UPDATE notification_destinations SET confirmed_at = \(bind: Clock.nowMillis()), disabled_at = NULL, failures = 0 WHERE id = \(bind: id)"
        ).run()
    }

    /// A message went out: the failure count starts again.
    static func succeeded(_ id: Int64, on db: any SQLDatabase) async throws {
        try await db.raw(
            "UPDATE notification_destinations SET failures = 0, last_error = NULL, last_sent_at = \(bind: Clock.nowMillis()) WHERE id = \(bind: id)"
        ).run()
    }

    /// A message did not go out; returns the failures in a row.
    static func failed(_ id: Int64, error: String, on db: any SQLDatabase) async throws -> Int {
        try await db.raw(
            """
            UPDATE notification_destinations SET failures = failures + 1, last_error = \(bind: String(error.prefix(500)))
            WHERE id = \(bind: id) RETURNING failures
            """
        ).first()?.decode(column: "failures", as: Int.self) ?? 0
    }

    static func disable(_ id: Int64, on db: any SQLDatabase) async throws {
        try await db.raw("UPDATE notification_destinations SET disabled_at = \(bind: Clock.nowMillis()) WHERE id = \(bind: id)").run()
    }
}

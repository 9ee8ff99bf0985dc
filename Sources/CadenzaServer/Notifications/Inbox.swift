import Foundation
import SQLKit

/// One notification in a user's inbox.
struct InboxItem: Sendable {
    var id: Int64
    var eventID: Int64
    var type: String
    var severity: String
    var title: String
    var body: String
    var link: String?
    var ruleIDs: [Int64]
    var createdAt: Int64
    var readAt: Int64?
}

/// Queries over `notifications`, the in-app inbox.
enum Inbox {
    /// Adds a notification once per event and user; returns its id, or nil when it was there.
    static func add(
        userID: Int64, event: EventRecord, notice: EventNotice, severity: EventSeverity, ruleIDs: [Int64], expiresAt: Int64?,
        on db: any SQLDatabase
    ) async throws -> Int64? {
        try await db.raw(
            """
            INSERT INTO notifications (user_id, event_id, type, severity, title, body, link, rule_ids, created_at, expires_at)
            VALUES (\(bind: userID), \(bind: event.id), \(bind: event.type), \(bind: severity.rawValue), \(bind: notice.title),
                \(bind: notice.body), \(bind: notice.link), \(bind: ruleIDs.map(String.init).joined(separator: ",")),
                \(bind: event.createdAt), \(bind: expiresAt))
            ON CONFLICT (user_id, event_id) DO NOTHING RETURNING id
            """
        ).first()?.decode(column: "id", as: Int64.self)
    }

    /// Newest first, before `beforeID` when paging; expired ephemeral ones left out.
    static func list(userID: Int64, unreadOnly: Bool, beforeID: Int64?, limit: Int, on db: any SQLDatabase) async throws -> [InboxItem] {
        let unread: SQLQueryString = unreadOnly ? "AND read_at IS NULL" : ""
        return try await db.raw(
            """
            SELECT * FROM notifications WHERE user_id = \(bind: userID) \(unread) AND id < \(bind: beforeID ?? Int64.max)
                AND (expires_at IS NULL OR expires_at > \(bind: Clock.nowMillis()))
            ORDER BY id DESC LIMIT \(bind: limit)
            """
        ).all().map { row in
            InboxItem(
                id: try row.decode(column: "id", as: Int64.self),
                eventID: try row.decode(column: "event_id", as: Int64.self),
                type: try row.decode(column: "type", as: String.self),
                severity: try row.decode(column: "severity", as: String.self),
                title: try row.decode(column: "title", as: String.self),
                body: try row.decode(column: "body", as: String.self),
                link: try row.decode(column: "link", as: String?.self),
                ruleIDs: try row.decode(column: "rule_ids", as: String.self).split(separator: ",").compactMap { Int64($0) },
                createdAt: try row.decode(column: "created_at", as: Int64.self),
                readAt: try row.decode(column: "read_at", as: Int64?.self))
        }
    }

    static func unreadCount(userID: Int64, on db: any SQLDatabase) async throws -> Int {
        try await db.raw(
            """
            SELECT COUNT(*) AS n FROM notifications WHERE user_id = \(bind: userID) AND read_at IS NULL
                AND (expires_at IS NULL OR expires_at > \(bind: Clock.nowMillis()))
            """
        ).first()?.decode(column: "n", as: Int.self) ?? 0
    }

    /// Marks the given notifications (all when `ids` is nil) read; returns how many changed.
    static func markRead(userID: Int64, ids: [Int64]?, on db: any SQLDatabase) async throws -> Int {
        if let ids, ids.isEmpty { return 0 }
        let only: SQLQueryString = ids.map { "AND id IN \(SQLBindGroup($0))" } ?? ""
        return try await db.raw(
            """
            UPDATE notifications SET read_at = \(bind: Clock.nowMillis())
            WHERE user_id = \(bind: userID) AND read_at IS NULL \(only) RETURNING id
            """
        ).all().count
    }

    /// Drops read notifications older than `before`, and expired ephemeral ones.
    static func prune(readBefore before: Int64, on db: any SQLDatabase) async throws {
        try await db.raw(
            """
            DELETE FROM notifications WHERE (read_at IS NOT NULL AND read_at < \(bind: before))
                OR (expires_at IS NOT NULL AND expires_at < \(bind: Clock.nowMillis()))
            """
        ).run()
    }
}

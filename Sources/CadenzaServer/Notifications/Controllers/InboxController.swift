import Fluent
import Vapor

/// `/api/v1/notifications`: the signed-in user's inbox.
enum InboxController {
    @Sendable static func list(req: Request) async throws -> InboxDTO {
        let user = try req.requireUser()
        let limit = try req.query.get(Int?.self, at: "limit").map { max(1, min(200, $0)) } ?? 50
        let before = try req.query.get(String?.self, at: "before").map { text -> Int64 in
            guard let id = Int64(text), id > 0 else { throw APIError.badRequest("before: a notification id") }
            return id
        }
        let unreadOnly = try req.query.get(Bool?.self, at: "unread") ?? false
        let items = try await Inbox.list(userID: user.userID, unreadOnly: unreadOnly, beforeID: before, limit: limit, on: req.sql)
        return InboxDTO(items: items.map(NotificationDTO.init), unread: try await Inbox.unreadCount(userID: user.userID, on: req.sql))
    }

    struct ReadRequest: Decodable {
        /// Omitted: all of them.
        var ids: [String]?
    }

    struct UnreadDTO: Content {
        var unread: Int
    }

    @Sendable static func markRead(req: Request) async throws -> UnreadDTO {
        let user = try req.requireUser()
        let body = try await req.decodeJSON(ReadRequest.self)
        let ids = try body.ids.map { ids -> [Int64] in
            guard ids.count <= 500 else { throw APIError.badRequest("ids: at most 500 at a time") }
            return try ids.map { text in
                guard let id = Int64(text) else { throw APIError.badRequest("ids: notification ids") }
                return id
            }
        }
        _ = try await req.db.writeTransaction { tx in try await Inbox.markRead(userID: user.userID, ids: ids, on: tx.sql) }
        return UnreadDTO(unread: try await Inbox.unreadCount(userID: user.userID, on: req.sql))
    }

    @Sendable static func unread(req: Request) async throws -> UnreadDTO {
        let user = try req.requireUser()
        return UnreadDTO(unread: try await Inbox.unreadCount(userID: user.userID, on: req.sql))
    }
}

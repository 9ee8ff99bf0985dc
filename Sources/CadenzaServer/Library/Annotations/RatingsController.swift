import Fluent
import SQLKit
import Vapor

/// `GET /api/v1/ratings` (every rating of the caller, by kind and id) and
/// `PUT /api/v1/ratings/{track|album|artist}/:id` with `{"rating": 0…5}` (0 clears).
enum RatingsController {
    struct RatingsDTO: Content {
        var tracks: [String: Int]
        var albums: [String: Int]
        var artists: [String: Int]
    }

    struct Change: Decodable {
        var rating: Int
    }

    @Sendable static func list(req: Request) async throws -> RatingsDTO {
        let viewer = try req.requireUser()
        var result = RatingsDTO(tracks: [:], albums: [:], artists: [:])
        for row in try await req.sql.raw(
            """
            SELECT item_type, item_id, rating FROM ratings WHERE user_id = \(bind: viewer.userID)
            """
        ).all() {
            let id = String(try row.decode(column: "item_id", as: Int64.self)), rating = try row.decode(column: "rating", as: Int.self)
            switch AnnotatedItem.Kind(rawValue: try row.decode(column: "item_type", as: String.self)) {
            case .track: result.tracks[id] = rating
            case .album: result.albums[id] = rating
            case .artist: result.artists[id] = rating
            case nil: continue
            }
        }
        return result
    }

    @Sendable static func set(req: Request) async throws -> HTTPStatus {
        let viewer = try req.requireUser()
        let item = try AnnotatedItem.fromPath(req)
        let change = try await req.decodeJSON(Change.self)
        guard (0...5).contains(change.rating) else {
            throw APIError.unprocessable("A rating is 1 to 5 stars, or 0 to clear it.", code: "invalid_rating")
        }
        try await item.requireVisible(to: viewer, on: req.sql)
        try await AnnotatedItem.setRating(change.rating, userID: viewer.userID, type: item.kind.rawValue, id: item.id, on: req.db)
        return .noContent
    }
}

import Fluent
import Foundation
import SQLKit
import Vapor

/// A station's DJs (`station_djs`): who besides its owner and the administrators may go live.
enum StationDJs {
    static let maxDJs = 100

    static func isDJ(userID: Int64, stationID: Int64, on db: any SQLDatabase) async throws -> Bool {
        try await db.raw("SELECT 1 AS one FROM station_djs WHERE station_id = \(bind: stationID) AND user_id = \(bind: userID)").first() != nil
    }

    static func usernames(stationID: Int64, on db: any SQLDatabase) async throws -> [String] {
        try await db.raw(
            "SELECT u.username FROM station_djs d JOIN users u ON u.id = d.user_id WHERE d.station_id = \(bind: stationID) ORDER BY u.username"
        ).all().map { try $0.decode(column: "username", as: String.self) }
    }

    static func replace(stationID: Int64, userIDs: [Int64], on db: any SQLDatabase) async throws {
        try await db.raw("DELETE FROM station_djs WHERE station_id = \(bind: stationID)").run()
        for id in Set(userIDs) {
            try await db.raw("INSERT INTO station_djs (station_id, user_id) VALUES (\(bind: stationID), \(bind: id))").run()
        }
    }
}

/// `GET|PUT /api/v1/stations/{slug}/djs`: the station's DJs by username (owner or administrator).
enum StationDJsController {
    struct DJs: Content {
        var usernames: [String]
    }

    @Sendable static func get(req: Request) async throws -> DJs {
        let station = try await StationsController.managed(req)
        return DJs(usernames: try await StationDJs.usernames(stationID: station.id, on: req.sql))
    }

    @Sendable static func put(req: Request) async throws -> DJs {
        let station = try await StationsController.managed(req)
        let asked = try await req.decodeJSON(DJs.self).usernames
        guard asked.count <= StationDJs.maxDJs, asked.allSatisfy({ $0.count <= 64 }) else {
            throw APIError.unprocessable("At most \(StationDJs.maxDJs) DJs, by username.")
        }
        var ids: [Int64] = []
        for name in asked {
            guard let user = try await User.find(username: name, on: req.db) else { throw APIError.unprocessable("No user is called \(name).") }
            ids.append(try user.requireID())
        }
        let chosen = ids
        try await req.db.writeTransaction { tx in try await StationDJs.replace(stationID: station.id, userIDs: chosen, on: tx.sql) }
        return DJs(usernames: try await StationDJs.usernames(stationID: station.id, on: req.sql))
    }
}

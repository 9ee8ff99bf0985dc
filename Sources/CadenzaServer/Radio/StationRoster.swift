import Fluent
import Foundation
import SQLKit
import Vapor

/// People a station names besides its owner and the administrators: its DJs (`station_djs`), who
/// may go live, and its managers (`station_managers`), who run it as its owner does except that
/// they may not delete it or name its managers.
struct StationRoster: Sendable {
    /// A constant of this file, never input: it is written into the statements.
    private let table: String
    let maxMembers: Int
    let title: String

    static let djs = StationRoster(table: "station_djs", maxMembers: 100, title: "DJs")
    static let managers = StationRoster(table: "station_managers", maxMembers: 20, title: "managers")

    func contains(userID: Int64, stationID: Int64, on db: any SQLDatabase) async throws -> Bool {
        try await db.raw("SELECT 1 AS one FROM \(unsafeRaw: table) WHERE station_id = \(bind: stationID) AND user_id = \(bind: userID)").first()
            != nil
    }

    /// The stations that name `userID`.
    func stationIDs(userID: Int64, on db: any SQLDatabase) async throws -> Set<Int64> {
        Set(
            try await db.raw("SELECT station_id FROM \(unsafeRaw: table) WHERE user_id = \(bind: userID)").all()
                .map { try $0.decode(column: "station_id", as: Int64.self) })
    }

    func usernames(stationID: Int64, on db: any SQLDatabase) async throws -> [String] {
        try await db.raw(
            "SELECT u.username FROM \(unsafeRaw: table) m JOIN users u ON u.id = m.user_id WHERE m.station_id = \(bind: stationID) ORDER BY u.username"
        ).all().map { try $0.decode(column: "username", as: String.self) }
    }

    func replace(stationID: Int64, userIDs: [Int64], on db: any SQLDatabase) async throws {
        try await db.raw("DELETE FROM \(unsafeRaw: table) WHERE station_id = \(bind: stationID)").run()
        try await db.insertRows(
            into: "\(table) (station_id, user_id)", values: Set(userIDs).sorted().map { [.integer(stationID), .integer($0)] })
    }
}

/// `GET|PUT /api/v1/stations/{slug}/djs` and `…/managers`: a roster by username. Its managers read
/// both and set the DJs; only the owner or an administrator sets the managers.
enum StationRosterController {
    struct Members: Content {
        var usernames: [String]
    }

    static func get(_ roster: StationRoster) -> @Sendable (Request) async throws -> Members {
        { req in
            let station = try await StationsController.managed(req)
            return Members(usernames: try await roster.usernames(stationID: station.id, on: req.sql))
        }
    }

    static func put(_ roster: StationRoster, ownerOnly: Bool) -> @Sendable (Request) async throws -> Members {
        { req in
            let station = try await ownerOnly ? StationsController.owned(req) : StationsController.managed(req)
            let asked = try await req.decodeJSON(Members.self).usernames
            guard asked.count <= roster.maxMembers, asked.allSatisfy({ $0.count <= 64 }) else {
                throw APIError.unprocessable("At most \(roster.maxMembers) \(roster.title), by username.")
            }
            var ids: [Int64] = []
            for name in asked {
                guard let user = try await User.find(username: name, on: req.db) else { throw APIError.unprocessable("No user is called \(name).") }
                ids.append(try user.requireID())
            }
            let chosen = ids
            try await req.db.writeTransaction { tx in try await roster.replace(stationID: station.id, userIDs: chosen, on: tx.sql) }
            return Members(usernames: try await roster.usernames(stationID: station.id, on: req.sql))
        }
    }
}

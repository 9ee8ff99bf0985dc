import CadenzaPlayout
import Fluent
import Foundation
import SQLKit
import Vapor

/// `cadenza station create|list|delete`: the quickest way to put a station on air, and what a
/// headless install scripts. A running server picks the change up within seconds.
extension AdminCommands {
    public static func createStation(
        settings: Settings, slug: String, name: String, description: String, timeZone: String, visibility: String, owner: String?,
        outputs: [String], crossfadeMs: Int, bitrate: Int = 128, pushURLs: [String] = []
    ) async throws -> [String] {
        try await withApp(settings) { app in
            guard let visibility = StationRecord.Visibility(rawValue: visibility) else {
                throw Failure(description: "visibility must be public, unlisted or private")
            }
            let parsed = try outputs.map { raw in
                guard let output = StationOutput(rawValue: raw) else { throw Failure(description: "outputs are mp3, aac and hls") }
                return output
            }
            var ownerID: Int64?
            if let owner {
                guard let user = try await User.find(username: owner, on: app.db), let id = user.id else {
                    throw Failure(description: "no user \(owner)")
                }
                ownerID = id
            }
            let fields = try StationsController.validated(
                .init(description: description, timeZone: timeZone, outputs: parsed, crossfadeMs: crossfadeMs, bitrate: bitrate), slug: slug,
                name: name)
            let relays = try PushTarget.list(parsing: pushURLs)
            guard
                var station = try await Stations.create(
                    slug: slug, name: fields.name, description: fields.description, timeZone: fields.timeZone, visibility: visibility,
                    ownerID: ownerID, outputs: fields.outputs, crossfadeMs: fields.crossfadeMs, bitrate: fields.bitrate, on: app.sql)
            else { throw Failure(description: "a station with the slug \(slug) already exists") }
            if let stored = PushTarget.stored(relays) {
                station.pushURLSealed = try app.secretBox.seal(stored)
                try await Stations.update(station, on: app.sql)
            }
            try await EventStore.append(
                RadioEvents.created, payload: .init(slug: station.slug, name: station.name), actorID: ownerID, subjectID: station.slug,
                audienceUserID: ownerID, visibility: RadioEvents.visibility(of: station), on: app.sql)
            try await LoudnessJob.enqueue(on: app.sql)
            return [
                "station \(station.slug) created; on air at "
                    + station.outputs.map { $0.path(slug: station.slug) }.joined(separator: " and ")
            ]
        }
    }

    public static func listStations(settings: Settings) async throws -> [String] {
        try await withApp(settings) { app in
            let stations = try await Stations.all(on: app.sql)
            return stations.isEmpty
                ? ["no stations; create one with cadenza station create SLUG --name NAME"]
                : stations.map {
                    "\($0.slug)\t\($0.name)\t\($0.visibility.rawValue)\t\($0.outputs.map(\.rawValue).joined(separator: ","))\t\($0.bitrate.kbps) kb/s"
                }
        }
    }

    public static func deleteStation(settings: Settings, slug: String) async throws -> [String] {
        try await withApp(settings) { app in
            guard let station = try await Stations.find(slug: slug, on: app.sql) else { throw Failure(description: "no station \(slug)") }
            try await Stations.delete(id: station.id, on: app.sql)
            try await EventStore.append(
                RadioEvents.deleted, payload: .init(slug: station.slug, name: station.name), actorID: nil, subjectID: station.slug,
                audienceUserID: station.ownerID, visibility: RadioEvents.visibility(of: station), on: app.sql)
            return ["station \(slug) deleted"]
        }
    }
}

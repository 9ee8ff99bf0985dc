import Fluent
import Foundation
import SQLKit
import Vapor

/// `/api/v1/playlists`: the web app's playlists (the same ones Subsonic apps see).
enum PlaylistsController {
    struct PlaylistDTO: Content {
        var id: String
        var name: String
        var owner: String
        var isPublic: Bool
        var mine: Bool
        var trackCount: Int
        var updatedAt: Date
        var tracks: [TrackDTO]?
    }

    struct Change: Decodable {
        var name: String?
        var isPublic: Bool?
        /// The whole new order (reorder, remove).
        var trackIds: [String]?
        /// Tracks to append.
        var addTrackIds: [String]?
    }

    static func dto(_ record: PlaylistStore.Record, viewer: Principal, tracks: [TrackDTO]?, count: Int) -> PlaylistDTO {
        PlaylistDTO(
            id: String(record.id), name: record.name, owner: record.owner, isPublic: record.isPublic,
            mine: record.ownerID == viewer.userID, trackCount: count, updatedAt: Clock.date(record.updatedAt), tracks: tracks)
    }

    @Sendable static func list(req: Request) async throws -> [PlaylistDTO] {
        let viewer = try req.requireUser()
        return try await dtos(try await PlaylistStore.visible(to: viewer, on: req.sql), viewer: viewer, on: req.sql)
    }

    static func dtos(_ records: [PlaylistStore.Record], viewer: Principal, on db: any SQLDatabase) async throws -> [PlaylistDTO] {
        let counts = try await PlaylistStore.trackCounts(records.map(\.id), on: db)
        return records.map { dto($0, viewer: viewer, tracks: nil, count: counts[$0.id] ?? 0) }
    }

    /// A playlist the viewer may see (others' private ones do not exist for them), optionally one they may change.
    static func find(_ req: Request, viewer: Principal, mustOwn: Bool) async throws -> PlaylistStore.Record {
        let id = try req.int64Parameter("id", what: "Playlist")
        guard let record = try await PlaylistStore.load("p.id = \(bind: id)", on: req.sql).first,
            record.ownerID == viewer.userID || record.isPublic || viewer.isAdmin
        else { throw APIError.notFound("Playlist") }
        if mustOwn, record.ownerID != viewer.userID, !viewer.isAdmin {
            throw APIError.forbidden("Only the playlist's owner may change it.")
        }
        return record
    }

    static func show(_ record: PlaylistStore.Record, viewer: Principal, req: Request) async throws -> PlaylistDTO {
        let ids = try await PlaylistStore.trackIDs(record.id, on: req.sql)
        let visible = try await Libraries.visibleIDs(for: viewer, on: req.sql)
        let found = try await CatalogQueries.tracks(
            visible: visible, paging: .init(limit: max(1, ids.count), offset: 0), ids: Array(Set(ids)),
            on: req.sql)
        let byID = Dictionary(found.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let tracks = ids.compactMap { byID[String($0)] }  // keeps order and repeats; hides what the viewer may not see
        return dto(record, viewer: viewer, tracks: tracks, count: tracks.count)
    }

    @Sendable static func get(req: Request) async throws -> PlaylistDTO {
        let viewer = try req.requireUser()
        return try await show(try await find(req, viewer: viewer, mustOwn: false), viewer: viewer, req: req)
    }

    static func trackIDs(_ raws: [String], viewer: Principal, req: Request) async throws -> [Int64] {
        guard raws.count <= 5000 else { throw APIError.unprocessable("At most 5000 tracks.", code: "too_many") }
        let ids = try raws.map { raw -> Int64 in
            guard let id = Int64(raw) else { throw APIError.unprocessable("Track ids are numbers.", code: "invalid_track") }
            return id
        }
        let visible = try await Libraries.visibleIDs(for: viewer, on: req.sql)
        let known = Set(
            try await CatalogQueries.tracks(
                visible: visible, paging: .init(limit: max(1, ids.count), offset: 0),
                ids: Array(Set(ids)), on: req.sql
            ).map(\.id))
        guard ids.allSatisfy({ known.contains(String($0)) }) else { throw APIError.notFound("Track") }
        return ids
    }

    @Sendable static func create(req: Request) async throws -> Response {
        let viewer = try req.requireUser()
        let change = try await req.decodeJSON(Change.self)
        let name = (change.name ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...200).contains(name.count) else {
            throw APIError.unprocessable("A playlist needs a name of 1 to 200 characters.", code: "invalid_name")
        }
        let tracks = try await trackIDs(change.trackIds ?? change.addTrackIds ?? [], viewer: viewer, req: req)
        let now = Clock.nowMillis()
        let id = try await req.db.writeTransaction { tx -> Int64 in
            let row = try await tx.sql.raw(
                """
                INSERT INTO playlists (owner_id, name, public, created_at, updated_at)
                VALUES (\(bind: viewer.userID), \(bind: name), \(bind: change.isPublic ?? false), \(bind: now), \(bind: now)) RETURNING id
                """
            ).first()
            let id = try row?.decode(column: "id", as: Int64.self) ?? 0
            try await PlaylistStore.insertTracks(id, tracks, from: 0, on: tx.sql)
            return id
        }
        guard let record = try await PlaylistStore.load("p.id = \(bind: id)", on: req.sql).first else { throw APIError.notFound("Playlist") }
        let response = Response(status: .created)
        try response.content.encode(try await show(record, viewer: viewer, req: req))
        return response
    }

    @Sendable static func update(req: Request) async throws -> PlaylistDTO {
        let viewer = try req.requireUser()
        let record = try await find(req, viewer: viewer, mustOwn: true)
        let change = try await req.decodeJSON(Change.self)
        if let name = change.name {
            let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
            guard (1...200).contains(trimmed.count) else {
                throw APIError.unprocessable("A playlist needs a name of 1 to 200 characters.", code: "invalid_name")
            }
            try await req.sql.raw(
                "UPDATE playlists SET name = \(bind: trimmed), updated_at = \(bind: Clock.nowMillis()) WHERE id = \(bind: record.id)"
            ).run()
        }
        if let isPublic = change.isPublic {
            try await req.sql.raw(
                "UPDATE playlists SET public = \(bind: isPublic), updated_at = \(bind: Clock.nowMillis()) WHERE id = \(bind: record.id)"
            ).run()
        }
        if let order = change.trackIds {
            try await PlaylistStore.replaceTracks(record.id, try await trackIDs(order, viewer: viewer, req: req), on: req.db)
        }
        if let added = change.addTrackIds {
            let tracks = try await trackIDs(added, viewer: viewer, req: req)
            try await req.db.writeTransaction { tx in
                let count =
                    try await tx.sql.raw("SELECT COUNT(*) AS n FROM playlist_tracks WHERE playlist_id = \(bind: record.id)").first()?
                    .decode(column: "n", as: Int.self) ?? 0
                try await PlaylistStore.insertTracks(record.id, tracks, from: count, on: tx.sql)
            }
        }
        guard let fresh = try await PlaylistStore.load("p.id = \(bind: record.id)", on: req.sql).first else { throw APIError.notFound("Playlist") }
        return try await show(fresh, viewer: viewer, req: req)
    }

    @Sendable static func delete(req: Request) async throws -> HTTPStatus {
        let viewer = try req.requireUser()
        let record = try await find(req, viewer: viewer, mustOwn: true)
        try await req.sql.raw("DELETE FROM playlists WHERE id = \(bind: record.id)").run()
        return .noContent
    }
}

import CadenzaFormats
import Fluent
import Foundation
import SQLKit

/// The music in inbound activities: Audio created, updated or deleted in a library someone here
/// follows. Anything about a library no one here follows (with an approved follow of that
/// actor's library) is discarded.
extension InboxJobs {
    static func createOrUpdate(_ context: Context) async throws -> String {
        let object = context.activity["object"] ?? .null
        if object.typeName == "Listen", context.stored.type == "Create" { return try await listen(context, object) }
        if context.stored.type == "Update", ["Track", "Album", "Artist"].contains(object.typeName ?? "") {
            return try await updateMetadata(context, object)
        }
        guard object.typeName == "Audio" else { return "ignored" }
        guard let authority = FederationURLs.authority(of: context.stored.actorURI),
            let (audio, libraryURI) = RemoteAudioParser.parse(object, authority: authority), let libraryURI
        else { return "ignored" }
        let mirrors = try await followedMirrors(of: libraryURI, owner: context.stored.actorURI, on: context.database.sql)
        guard !mirrors.isEmpty else { return "ignored" }
        let settings = context.client.settings
        try await context.database.writeTransaction { tx in
            try await RemoteCatalog.upsert([audio], into: mirrors, settings: settings, on: tx.sql)
        }
        return "processed"
    }

    static func delete(_ context: Context) async throws -> String {
        let object = context.activity["object"] ?? .null
        guard let authority = FederationURLs.authority(of: context.stored.actorURI) else { return "ignored" }
        // One id, an object with one id or a list of ids, or a list of objects.
        var named: [String] = []
        for item in object.array {
            if let id = item.string { named.append(id) } else { named += (item["id"] ?? .null).array.compactMap(\.string) }
        }
        let ids = Array(named.filter { FederationURLs.authority(of: $0) == authority }.prefix(10_000))
        guard !ids.isEmpty else { return "ignored" }
        let owned = try await mirrorsFollowed(from: context.stored.actorURI, on: context.database.sql)
        guard !owned.isEmpty else { return "ignored" }
        let listed = Set(ids)
        let dropped = owned.filter { listed.contains($0.library) }
        let kept = owned.filter { !listed.contains($0.library) }.map(\.mirror)
        try await context.database.writeTransaction { tx in
            for gone in dropped {
                // The library itself is gone: so is the follow, and the mirror (in a job: it may be large).
                try await FederationFollows.delete(gone.follow, on: tx.sql)
                try await MirrorRemoval.enqueue(libraryID: gone.mirror, on: tx.sql)
            }
            try await RemoteCatalog.remove(audioURIs: ids, fromLibraries: kept, on: tx.sql)
        }
        return "processed"
    }

    /// Everything followed here from this actor (its follows and their mirrors): a Delete or an
    /// Update names libraries, audio, tracks, albums and artists of its own only.
    static func mirrorsFollowed(from actor: String, on db: any SQLDatabase) async throws -> [(follow: Int64, library: String, mirror: Int64)] {
        try await db.raw(
            """
            SELECT f.id, f.object_uri, l.id AS library_id FROM federation_follows f JOIN libraries l ON l.remote_uri = f.object_uri
                AND l.owner_id = f.local_user_id
            WHERE f.direction = 'out' AND f.remote_actor_uri = \(bind: actor) AND f.status = 'approved'
            """
        ).all().map {
            (
                follow: try $0.decode(column: "id", as: Int64.self), library: try $0.decode(column: "object_uri", as: String.self),
                mirror: try $0.decode(column: "library_id", as: Int64.self)
            )
        }
    }

    /// An Update of a Track, Album or Artist (Funkwhale sends these when metadata is edited):
    /// every Audio of it in the actor's libraries followed here is rewritten with the new values.
    static func updateMetadata(_ context: Context, _ object: JSONValue) async throws -> String {
        guard let authority = FederationURLs.authority(of: context.stored.actorURI), let id = object["id"]?.string,
            FederationURLs.authority(of: id) == authority, let kind = object.typeName
        else { return "ignored" }
        let mirrors = try await mirrorsFollowed(from: context.stored.actorURI, on: context.database.sql)
        let found = try await RemoteCatalog.documents(naming: id, inLibraries: mirrors.map(\.mirror), on: context.database.sql)
        guard !found.isEmpty else { return "ignored" }
        let now = ActorDocuments.iso(Clock.nowMillis())
        var byLibrary: [Int64: [RemoteAudio]] = [:]
        for (library, text) in found {
            guard let document = try? JSONValue.parse(Array(text.utf8)) else { continue }
            var patched = MetadataPatch.apply(object, kind: kind, id: id, to: document)
            if case .object(var fields) = patched {
                fields["updated"] = .string(now)  // newer than what we have, so it is taken
                patched = .object(fields)
            }
            if let (audio, _) = RemoteAudioParser.parse(patched, authority: authority) { byLibrary[library, default: []].append(audio) }
        }
        var libraries: [LibraryRecord] = []
        for id in byLibrary.keys.sorted() {
            if let library = try await Libraries.find(id: id, on: context.database.sql) { libraries.append(library) }
        }
        let settings = context.client.settings
        let updates = byLibrary
        let targets = libraries
        try await context.database.writeTransaction { tx in
            try await RemoteCatalog.upsert(targets.map { ($0, updates[$0.id] ?? []) }, settings: settings, on: tx.sql)
        }
        return "processed"
    }

    /// A listen by someone local users follow there: kept for each of them.
    static func listen(_ context: Context, _ object: JSONValue) async throws -> String {
        let actor = context.stored.actorURI
        let db = context.database.sql
        let followers = try await db.raw(
            """
            SELECT local_user_id FROM federation_follows WHERE direction = 'out' AND object_kind = 'person'
            AND object_uri = \(bind: actor) AND status = 'approved'
            """
        ).all().compactMap { try $0.decode(column: "local_user_id", as: Int64?.self) }
        guard !followers.isEmpty, let remote = try await RemoteActors.find(uri: actor, on: db) else { return "ignored" }
        let track = object["track"] ?? .null
        guard let title = RemoteAudioParser.text(track["name"]) else { return "ignored" }
        let now = Clock.nowMillis()
        // When it was played, as the listener's server says; not in the future, not before 2002 (ListenBrainz's floor).
        let played = RemoteAudioParser.date(object["published"]).map { min(max($0, 1_033_430_400_000), now) } ?? now
        let listen = RemoteListen(
            actorURI: actor, actorName: remote.handle, activityURI: context.stored.uri, listenedAt: played / 1000, trackName: title,
            artistName: RemoteAudioParser.names(track["artists"]).first ?? "Unknown Artist",
            releaseName: RemoteAudioParser.text(track["album"]?["name"]))
        try await context.database.writeTransaction { tx in
            try await RemoteListens.record(listen, for: followers, announce: !context.silenced, on: tx.sql)
        }
        return "processed"
    }

    /// Local mirrors of `libraryURI` whose follow `owner` approved (only the owner speaks for it).
    static func followedMirrors(of libraryURI: String, owner: String, on db: any SQLDatabase) async throws -> [LibraryRecord] {
        let followers = try await db.raw(
            """
            SELECT local_user_id FROM federation_follows WHERE direction = 'out' AND object_uri = \(bind: libraryURI)
            AND remote_actor_uri = \(bind: owner) AND status = 'approved'
            """
        ).all().compactMap { try $0.decode(column: "local_user_id", as: Int64?.self) }
        guard !followers.isEmpty else { return [] }
        return try await RemoteCatalog.mirrors(of: libraryURI, on: db).filter { $0.ownerID.map(followers.contains) ?? false }
    }
}

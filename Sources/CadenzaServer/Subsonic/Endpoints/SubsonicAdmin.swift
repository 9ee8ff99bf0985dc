import Fluent
import Foundation
import SQLKit
import Vapor

/// Users, library scanning and internet radio stations.
enum SubsonicAdmin {
    static let handlers: [String: SubsonicAPI.Handler] = [
        "getUser": { context in
            let username = try context.params.require("username")
            guard username == context.user.username || context.user.isAdmin else {
                throw SubsonicError.notAuthorized("Only administrators may see other users.")
            }
            guard let user = try await User.find(username: username, on: context.req.db) else { throw SubsonicError.notFound("User") }
            return .node(try userNode(user, libraries: try await Libraries.visibilityTable(on: context.db)))
        },
        "getUsers": { context in
            guard context.user.isAdmin else { throw SubsonicError.notAuthorized("Only administrators may list users.") }
            let libraries = try await Libraries.visibilityTable(on: context.db)
            var node = SubsonicNode("users")
            node.add(list: "user", try await User.query(on: context.req.db).sort(\.$id).all().map { try userNode($0, libraries: libraries) })
            return .node(node)
        },
        "createUser": { context in
            guard context.user.isAdmin else { throw SubsonicError.notAuthorized() }
            let username = try context.params.require("username")
            let password = try decodePassword(try context.params.require("password"))
            _ = try context.params.require("email")
            let role: User.Role = context.params.bool("adminRole", default: false) ? .admin : .user
            let user = try await UsersController.create(username: username, password: password, role: role, app: context.app)
            try await SubsonicAuth.setSubsonicPassword(userID: try user.requireID(), password: password, app: context.app, on: context.db)
            return .empty
        },
        "updateUser": { context in
            guard context.user.isAdmin else { throw SubsonicError.notAuthorized() }
            let username = try context.params.require("username")
            guard let user = try await User.find(username: username, on: context.req.db) else { throw SubsonicError.notFound("User") }
            if let admin = context.params.string("adminRole") {
                let role: User.Role = admin == "true" ? .admin : .user
                if user.id == context.user.userID && role != .admin {
                    throw SubsonicError.notAuthorized("You cannot remove your own administrator role.")
                }
                user.role = role
                try await user.save(on: context.req.db)
            }
            if let password = context.params.string("password") {
                try await SubsonicAuth.setSubsonicPassword(
                    userID: try user.requireID(), password: try decodePassword(password),
                    app: context.app, on: context.db)
            }
            return .empty
        },
        "deleteUser": { context in
            guard context.user.isAdmin else { throw SubsonicError.notAuthorized() }
            let username = try context.params.require("username")
            guard let user = try await User.find(username: username, on: context.req.db) else { throw SubsonicError.notFound("User") }
            guard user.id != context.user.userID else { throw SubsonicError.notAuthorized("You cannot delete your own account.") }
            try await user.delete(on: context.req.db)
            return .empty
        },
        "changePassword": { context in
            let username = try context.params.require("username")
            let password = try decodePassword(try context.params.require("password"))
            guard username == context.user.username || context.user.isAdmin else { throw SubsonicError.notAuthorized() }
            guard let user = try await User.find(username: username, on: context.req.db) else { throw SubsonicError.notFound("User") }
            // Subsonic clients change the password they use: the Subsonic password.
            guard (8...256).contains(password.count) else { throw SubsonicError.invalid("Passwords are 8 to 256 characters.") }
            try await SubsonicAuth.setSubsonicPassword(userID: try user.requireID(), password: password, app: context.app, on: context.db)
            return .empty
        },
        "getScanStatus": { context in .node(try await scanStatus(context)) },
        "startScan": { context in
            guard context.user.isAdmin else { throw SubsonicError.notAuthorized("Only administrators may start a scan.") }
            let full = context.params.bool("fullScan", default: false)
            for library in try await Libraries.all(on: context.db) where library.kind == .folders {
                try await Libraries.enqueueScan(libraryID: library.id, full: full, on: context.db)
            }
            var status = try await scanStatus(context)
            status.attributes.removeAll { $0.0 == "scanning" }
            status.set("scanning", true)
            return .node(status)
        },
        "getInternetRadioStations": { context in
            var node = SubsonicNode("internetRadioStations")
            node.add(
                list: "internetRadioStation",
                try await context.db.raw("SELECT * FROM internet_radio_stations ORDER BY name, id").all().map { row in
                    var station = SubsonicNode("internetRadioStation")
                    station.set("id", String(try row.decode(column: "id", as: Int64.self)))
                    station.set("name", try row.decode(column: "name", as: String.self))
                    station.set("streamUrl", try row.decode(column: "stream_url", as: String.self))
                    station.set("homePageUrl", try row.decode(column: "homepage_url", as: String?.self))
                    return station
                }
                    // Cadenza's own stations the user may hear (see ownStations).
                    + (try await SubsonicAdmin.ownStations(context)))
            return .node(node)
        },
        "createInternetRadioStation": { context in
            guard context.user.isAdmin else { throw SubsonicError.notAuthorized() }
            let stream = try url(context.params.require("streamUrl"))
            let name = String(try context.params.require("name").prefix(200))
            let home = try context.params.string("homepageUrl").map(url)
            try await context.db.raw(
                """
                INSERT INTO internet_radio_stations (name, stream_url, homepage_url, created_at) VALUES (\(bind: name), \(bind: stream), \(bind: home), \(bind: Clock.nowMillis()))
                """
            ).run()
            return .empty
        },
        "updateInternetRadioStation": { context in
            guard context.user.isAdmin else { throw SubsonicError.notAuthorized() }
            guard let id = Int64(try context.params.require("id")) else { throw SubsonicError.notFound("Station") }
            let stream = try url(context.params.require("streamUrl"))
            let name = String(try context.params.require("name").prefix(200))
            let home = try context.params.string("homepageUrl").map(url)
            let updated = try await context.db.raw(
                """
                UPDATE internet_radio_stations SET name = \(bind: name), stream_url = \(bind: stream), homepage_url = \(bind: home) WHERE id = \(bind: id) RETURNING id
                """
            ).all()
            guard !updated.isEmpty else { throw SubsonicError.notFound("Station") }
            return .empty
        },
        "deleteInternetRadioStation": { context in
            guard context.user.isAdmin else { throw SubsonicError.notAuthorized() }
            guard let id = Int64(try context.params.require("id")) else { throw SubsonicError.notFound("Station") }
            let deleted = try await context.db.raw("DELETE FROM internet_radio_stations WHERE id = \(bind: id) RETURNING id").all()
            guard !deleted.isEmpty else { throw SubsonicError.notFound("Station") }
            return .empty
        },
    ]

    static func url(_ raw: String) throws -> String {
        guard raw.count <= 2000, let components = URLComponents(string: raw), ["http", "https"].contains(components.scheme?.lowercased() ?? ""),
            components.host?.isEmpty == false
        else { throw SubsonicError.invalid("Expected an http(s) URL.") }
        return raw
    }

    static func decodePassword(_ raw: String) throws -> String {
        guard raw.hasPrefix("enc:") else { return raw }
        guard let decoded = SubsonicAuth.hexDecode(String(raw.dropFirst(4))) else { throw SubsonicError.invalid("Malformed enc: password.") }
        return decoded
    }

    static func userNode(_ user: User, libraries: [(id: Int64, visibility: String, ownerID: Int64?)]) throws -> SubsonicNode {
        var node = SubsonicNode("user")
        node.set("username", user.username)
        node.set("email", "")
        node.set("scrobblingEnabled", true)
        node.set("adminRole", user.isAdmin)
        for role in ["settingsRole", "downloadRole", "uploadRole", "playlistRole", "coverArtRole", "commentRole", "streamRole", "shareRole"] {
            node.set(role, true)
        }
        for role in ["podcastRole", "jukeboxRole", "videoConversionRole"] { node.set(role, false) }
        let principal = Principal(userID: try user.requireID(), username: user.username, role: user.role, method: .token(id: 0))
        node.add(list: "folder", Libraries.visibleIDs(for: principal, in: libraries).map { SubsonicNode.scalar("folder", .int($0)) })
        return node
    }

    static func scanStatus(_ context: SubsonicContext) async throws -> SubsonicNode {
        let status = try await LibraryScanner.status(visible: context.visible, on: context.db)
        var node = SubsonicNode("scanStatus")
        node.set("scanning", status.scanning)
        node.set("count", status.trackCount)
        node.set("folderCount", status.folderCount)
        node.set(date: "lastScan", millis: status.lastScanAt)
        return node
    }

    /// Cadenza's stations the user may hear as internet radio: a mount (MP3 first), which every
    /// radio player plays, at an address made for the user, since a radio player sends no
    /// sign-in (private stations play too, and what they hear becomes their listens). A private
    /// station's HLS playlist takes no such address: one with HLS alone is left out.
    static func ownStations(_ context: SubsonicContext) async throws -> [SubsonicNode] {
        let stamp = try await User.credentialStamp(userID: context.user.userID, on: context.db) ?? ""
        return try await Stations.listed(to: context.user, on: context.db).compactMap { radio in
            let mount = radio.outputs.first { $0 != .hls }
            guard let output = mount ?? (radio.visibility == .private ? nil : radio.outputs.first) else { return nil }
            var url = "\(try context.app.settings.publicURL)\(output.path(slug: radio.slug))"
            if mount != nil {
                let link = StationListenLink.value(userID: context.user.userID, stationID: radio.id, stamp: stamp, secrets: try context.app.secretBox)
                url += "?\(StationListenLink.parameter)=\(link)"
            }
            var station = SubsonicNode("internetRadioStation")
            station.set("id", "station-\(radio.slug)")
            station.set("name", radio.name)
            station.set("streamUrl", url)
            return station
        }
    }
}

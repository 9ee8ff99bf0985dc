import CadenzaPlayout
import Foundation
import Vapor

/// `/listen/SLUG/radio.mp3` and `radio.aac`: the station's built-in Icecast-compatible mounts.
/// Clients that send `Icy-MetaData: 1` get `icy-metaint` and in-stream titles.
enum MountController {
    @Sendable static func listen(req: Request) async throws -> Response {
        guard let file = req.parameters.get("file"), file.hasPrefix("radio."),
            let output = StationOutput(rawValue: String(file.dropFirst("radio.".count)))
        else { throw APIError.notFound("Mount") }
        // Without the database a token cannot be checked: the listener is heard as anonymous.
        let viewer = try? await listenerPrincipal(req)
        let playout = try await onAir(req, viewer: viewer)
        let station = playout.station
        guard let mount = playout.mounts[output] else { throw APIError.notFound("Mount") }
        // A signed-in listener (the web app, or a player given the personal URL with
        // `?token=`) gets listens for what they hear.
        let listener = viewer.map { playout.listenerJoined(userID: $0.userID) }
        let headers = [
            ("icy-name", MountResponse.headerSafe(station.name)), ("icy-description", MountResponse.headerSafe(station.description)),
            ("icy-pub", station.visibility == .public ? "1" : "0"),
        ]
        guard let response = MountResponse.listen(req, to: mount, headers: headers, left: { if let listener { playout.listenerLeft(listener) } })
        else {
            if let listener { playout.listenerLeft(listener) }
            throw APIError(status: .serviceUnavailable, code: "listener_limit", message: "The station has as many listeners as it can take.")
        }
        return response
    }

    /// 204 when this process airs the station under exactly the lease holder's name given, 404
    /// otherwise: what a standby asks before taking an expired lease over. Answered from memory
    /// (a holder without its database must still answer); the name is the only key, so nothing
    /// is told to whoever does not already know it.
    @Sendable static func airing(req: Request) async throws -> HTTPStatus {
        guard let id = req.parameters.get("station").flatMap({ Int64($0) }), let holder = req.headers.first(name: RadioStations.holderHeader),
            holder.utf8.count <= 1_000
        else { return .notFound }
        let stations = try req.application.cadenza.state(RadioStations.self)
        return await stations.airs(stationID: id, as: holder) ? .noContent : .notFound
    }

    /// Who listens: the signed-in caller, the owner of the API token in `?token=` (players such
    /// as VLC or a smart speaker take a URL, not a header), or the user a Subsonic app's station
    /// address was made for (`?listener=`, see StationListenLink).
    static func listenerPrincipal(_ req: Request) async throws -> Principal? {
        if let principal = req.auth.get(Principal.self) { return principal }
        if let link = req.query[String.self, at: StationListenLink.parameter] {
            guard let slug = req.parameters.get("slug"), Stations.validSlug(slug), let userID = StationListenLink.claimedUserID(link) else {
                return nil
            }
            // The station as aired here, or as stored (aired elsewhere: the caller gets that 503).
            var stationID = try await req.application.cadenza.state(RadioStations.self).playout(slug: slug)?.station.id
            if stationID == nil { stationID = try await Stations.find(slug: slug, on: req.sql)?.id }
            guard let stationID, let account = try await User.linkPrincipal(userID: userID, scope: .listens, on: req.sql),
                StationListenLink.verify(link, userID: userID, stationID: stationID, stamp: account.stamp, secrets: try req.application.secretBox)
            else { return nil }
            return account.principal
        }
        guard let token = req.query[String.self, at: "token"], token.count <= 256 else { return nil }
        return try await APITokenStore.principal(forToken: token, on: req.sql)
    }

    /// `/hls/SLUG/live.m3u8` and its segments, as the station's HLS encoder writes them.
    @Sendable static func hls(req: Request) async throws -> Response {
        guard let file = req.parameters.get("file"), file == "live.m3u8" || Self.isSegmentName(file) else { throw APIError.notFound("HLS file") }
        let playlist = file.hasSuffix(".m3u8")
        // The playlist may carry a personal `?token=` (its segments, named relative to it, do not).
        let viewer = playlist ? try? await listenerPrincipal(req) : nil
        let playout = try await onAir(req, viewer: .some(viewer ?? req.auth.get(Principal.self)))
        guard playout.station.outputs.contains(.hls) else { throw APIError.notFound("HLS file") }
        let response: Response
        if playlist {
            // Restated on the bus clock (a few hundred bytes, read as it is served).
            guard let text = await playout.hlsPlaylist() else { throw APIError.notFound("HLS file") }
            playout.hlsAudience.seen(client: req.clientIP, agent: req.headers.first(name: .userAgent) ?? "")
            // A signed-in player (the personal `?token=` address): what it hears becomes listens.
            if let viewer { playout.hlsListenerSeen(userID: viewer.userID) }
            response = Response(status: .ok, body: .init(string: text))
        } else {
            let path = playout.hlsDirectory + "/" + file
            guard FileManager.default.fileExists(atPath: path) else { throw APIError.notFound("HLS file") }
            response = try await req.fileio.asyncStreamFile(at: path)
        }
        response.headers.replaceOrAdd(name: .contentType, value: playlist ? "application/vnd.apple.mpegurl" : "video/mp2t")
        // The playlist changes every segment; a segment never changes once listed (and only a
        // public station's may sit in shared caches).
        let scope = playout.station.visibility == .public ? "public" : "private"
        response.headers.replaceOrAdd(name: .cacheControl, value: playlist ? "no-cache" : "\(scope), max-age=60")
        return response
    }

    /// The station named in the path as this process airs it, if the caller may hear it. Read
    /// from memory, not the database: listeners connect while the database is away too.
    static func onAir(_ req: Request, viewer: Principal?? = nil) async throws -> StationPlayout {
        let listener = viewer ?? req.auth.get(Principal.self)
        guard let slug = req.parameters.get("slug"), Stations.validSlug(slug) else { throw APIError.notFound("Station") }
        guard let playout = try await req.application.cadenza.state(RadioStations.self).playout(slug: slug) else {
            // Aired by another process (a standby playout, or the servers of an external
            // playout): 503, so a proxy tries the next upstream and a player retries.
            let notHere = APIError(status: .serviceUnavailable, code: "not_on_air_here", message: "The station is not aired by this process.")
            let found: StationRecord?
            do { found = try await Stations.find(slug: slug, on: req.sql) } catch { throw notHere }
            guard let station = found, (try? await Stations.canListen(station, listener, on: req.sql)) == true else {
                throw APIError.notFound("Station")
            }
            throw notHere
        }
        // Known from memory; only a private station's managers need the database.
        if !playout.station.canListen(listener) {
            guard (try? await Stations.canListen(playout.station, listener, on: req.sql)) == true else { throw APIError.notFound("Station") }
        }
        return playout
    }

    /// `seg_1796000042.ts` (`seg_00042.ts` from older playlists): what the encoder names segments
    /// (nothing else is ever served from the folder).
    static func isSegmentName(_ name: String) -> Bool { Encoder.segmentSequence(name) != nil }
}

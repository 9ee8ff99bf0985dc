import Fluent
import Foundation
import SQLKit
import Vapor

/// track.scrobble and track.updateNowPlaying: Last.fm parameters turned into listens and
/// checked with the same rules as ListenBrainz submissions.
enum LastFMScrobbles {
    /// A listen document from Last.fm's parameters for index `suffix` ("[3]" or ""; a name
    /// without an index counts as index 0).
    static func document(_ params: [String: String], suffix: String, timestamp: Bool) -> [String: JSONValue] {
        FormListen.lastfm.document(withTimestamp: timestamp) { params[$0 + suffix] ?? (suffix == "[0]" ? params[$0] : nil) }
    }

    static func echo(_ params: [String: String], suffix: String, timestamp: String?, ignored: (Int, String)?) -> [LastFMNode] {
        func value(_ name: String) -> String { params[name + suffix] ?? (suffix == "[0]" ? params[name] : nil) ?? "" }
        var nodes = [
            LastFMNode("track", [("corrected", "0")], text: value("track")),
            LastFMNode("artist", [("corrected", "0")], text: value("artist")),
            LastFMNode("album", [("corrected", "0")], text: value("album")),
            LastFMNode("albumArtist", [("corrected", "0")], text: value("albumArtist")),
        ]
        if let timestamp { nodes.append(LastFMNode("timestamp", text: timestamp)) }
        nodes.append(LastFMNode("ignoredMessage", [("code", String(ignored?.0 ?? 0))], text: ignored?.1 ?? ""))
        return nodes
    }

    static func updateNowPlaying(_ call: LastFMController.Call) async throws -> LastFMNode {
        let owner = try await call.owner()
        _ = try call.require("artist")
        _ = try call.require("track")
        let listen = try ListenValidator.validate(
            listen: .object(document(call.params, suffix: "", timestamp: false)),
            type: .playingNow, now: Clock.nowMillis() / 1000)
        try await call.req.db.writeTransaction { tx in
            try await PlayingNow.set(listen, owner: owner, client: "lastfm", on: tx.sql)
        }
        return LastFMNode("nowplaying", children: echo(call.params, suffix: "", timestamp: nil, ignored: nil))
    }

    static func scrobble(_ call: LastFMController.Call) async throws -> LastFMNode {
        let owner = try await call.owner()
        let indices: [Int]
        do {
            indices = try FormListen.lastfm.indices(in: call.params, max: LastFMController.maxScrobbles)
        } catch {
            switch error {
            case .missing(let what): throw LastFMError.parameters("missing \(what)")
            case .invalid(let message): throw LastFMError.parameters(message)
            }
        }

        let now = Clock.nowMillis() / 1000
        var candidates: [(index: Int, listen: IncomingListen?, ignored: (Int, String)?)] = []
        for index in indices {
            let suffix = "[\(index)]"
            let doc = document(call.params, suffix: suffix, timestamp: true)
            do {
                candidates.append((index, try ListenValidator.validate(listen: .object(doc), type: .import, now: now), nil))
            } catch let error as ListenBrainzError {
                let code = FormListen.ignoredCode(for: error)
                candidates.append((index, nil, (code, error.message)))
            }
        }
        let listens = candidates.compactMap(\.listen)
        let stored = try await call.app.listenIngest.submit(listens, owner: owner, source: "lastfm", app: call.app).stored
        var accepted = 0, ignored = 0, position = 0
        var nodes: [LastFMNode] = []
        for candidate in candidates {
            let suffix = "[\(candidate.index)]"
            var reason = candidate.ignored
            if candidate.listen != nil {
                if !stored[position] { reason = (91, "Already scrobbled") }
                position += 1
            }
            if reason == nil { accepted += 1 } else { ignored += 1 }
            let ts = call.params["timestamp" + suffix] ?? (candidate.index == 0 ? call.params["timestamp"] : nil) ?? ""
            nodes.append(LastFMNode("scrobble", children: echo(call.params, suffix: suffix, timestamp: ts, ignored: reason)))
        }
        return LastFMNode("scrobbles", [("accepted", String(accepted)), ("ignored", String(ignored))], children: nodes, lists: ["scrobble"])
    }
}

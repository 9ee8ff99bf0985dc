import Foundation

/// The radio feature's settings.
struct RadioSettings: SettingsSection {
    static let keys: [(key: String, help: String)] = [
        ("CADENZA_RADIO_MAX_STATIONS", "stations one server runs at most (default 32; each is an encoder running all the time)"),
        ("CADENZA_RADIO_STATIONS_PER_USER", "stations an account that is not an administrator's may own (default 3)"),
        ("CADENZA_RADIO_STATS_SECONDS", "how often each station's listener counts are sampled into the database (default 60)"),
        ("CADENZA_RADIO_LIVE_PORT", "port DJs' source clients connect to (/live/SLUG, Icecast source protocol; default 8005, 0 for none)"),
        ("CADENZA_RADIO_SCHEDULE_HOURS", "how far ahead each station's shows are laid out into its schedule (default 48, at least 24)"),
        ("CADENZA_RADIO_PLAYOUT", "inline (cadenza serve airs the stations, default) or external (cadenza playout processes do)"),
        (
            "CADENZA_RADIO_MEDIA_CACHE_MB",
            "local copies of what the stations air next, for a library on a share that may go away (default 2048, 0 for none)"
        ),
        ("CADENZA_NODE_NAME", "this machine's name among playout processes (default the host name); a restart under the same name resumes at once"),
        ("CADENZA_RADIO_SILENCE_SECONDS", "how long a station's output may stay silent (below -50 dBFS) before dead air is raised (default 15)"),
        (
            "CADENZA_RADIO_PLAYOUT_URL",
            "where the other playout processes reach this one (default http://HOST:PORT, the host name when listening on all addresses)"
        ),
    ]

    var maxStations: Int
    var stationsPerUser: Int
    var statsInterval: TimeInterval
    var scheduleHours: Int
    var livePort: Int
    var mediaCacheMB: Int
    var silenceSeconds: Int
    /// Whether `cadenza serve` airs the stations itself.
    var inlinePlayout: Bool
    /// The one station a `cadenza playout` process airs (CADENZA_RADIO_STATION, set by the command).
    var station: String?
    var node: String
    /// CADENZA_RADIO_PLAYOUT_URL; nil: made from the listen address (`playoutURL(host:port:)`).
    var playoutURL: String?

    init(_ reader: SettingsReader) {
        maxStations = reader.number("CADENZA_RADIO_MAX_STATIONS", default: 32, in: 0...10_000)
        stationsPerUser = reader.number("CADENZA_RADIO_STATIONS_PER_USER", default: 3, in: 0...10_000)
        statsInterval = reader.number("CADENZA_RADIO_STATS_SECONDS", default: 60.0, in: 1...3_600)
        livePort = reader.number("CADENZA_RADIO_LIVE_PORT", default: 8005, in: 0...65_535)
        mediaCacheMB = reader.number("CADENZA_RADIO_MEDIA_CACHE_MB", default: 2_048, in: 0...10_000_000)
        scheduleHours = reader.number("CADENZA_RADIO_SCHEDULE_HOURS", default: 48, in: 24...24 * 14)
        silenceSeconds = reader.number("CADENZA_RADIO_SILENCE_SECONDS", default: 15, in: 1...3_600)
        inlinePlayout = reader.choice("CADENZA_RADIO_PLAYOUT", ["inline", "external"], default: "inline") == "inline"
        station = reader.value("CADENZA_RADIO_STATION")
        if let station, !Stations.validSlug(station) { reader.problem("CADENZA_RADIO_STATION: \(station) is not a station slug") }
        node = reader.value("CADENZA_NODE_NAME") ?? ProcessInfo.processInfo.hostName
        if node.isEmpty || node.count > 100 { reader.problem("CADENZA_NODE_NAME: 1 to 100 characters") }
        playoutURL = reader.value("CADENZA_RADIO_PLAYOUT_URL")
        if let url = playoutURL, url.count > 500 || !Self.isBaseURL(url) {
            reader.problem("CADENZA_RADIO_PLAYOUT_URL: an http(s) URL such as http://playout-1.internal:8010")
        }
    }

    static func isBaseURL(_ text: String) -> Bool {
        guard let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
            let host = url.host, !host.isEmpty
        else { return false }
        // A base: the probe's path replaces any other.
        return url.query == nil && url.fragment == nil && (url.path.isEmpty || url.path == "/")
    }

    /// Where other playouts ask this process whether it still airs a station.
    func playoutURL(host: String, port: Int) -> String {
        if let playoutURL { return playoutURL.hasSuffix("/") ? String(playoutURL.dropLast()) : playoutURL }
        let reachable = ["0.0.0.0", "::", ""].contains(host) ? ProcessInfo.processInfo.hostName : host
        return "http://\(reachable.contains(":") ? "[\(reachable)]" : reachable):\(port)"
    }
}

extension Settings {
    var radio: RadioSettings {
        get throws { try section(RadioSettings.self) }
    }
}

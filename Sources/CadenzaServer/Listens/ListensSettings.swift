import Foundation

/// The listens feature's settings.
struct ListensSettings: SettingsSection {
    static let keys: [(key: String, help: String)] = [
        ("CADENZA_LISTENS_RATE_LIMIT", "ListenBrainz API requests per window per token, or per IP when anonymous (default 300)"),
        ("CADENZA_LISTENS_RATE_WINDOW", "ListenBrainz API rate-limit window in seconds (default 10)"),
        ("CADENZA_LASTFM_UNKNOWN_KEYS", "accept|reject Last.fm requests whose api_key was not issued here (default accept)"),
        ("CADENZA_IMPORT_MAX_UNPACKED_MB", "most megabytes a listening-history zip may unpack to, counted while read (default 1024)"),
    ]

    /// ListenBrainz (and Last.fm) API requests per window, per token (or per IP when anonymous).
    var rateLimit: Int
    var rateWindow: TimeInterval
    /// Whether Last.fm requests with an api_key not issued here are accepted (unsigned).
    var lastfmAcceptUnknownKeys: Bool
    /// What a history archive may unpack to, counted as it is inflated (never the sizes it declares).
    var importMaxUnpackedBytes: Int64

    init(_ reader: SettingsReader) {
        rateLimit = reader.number("CADENZA_LISTENS_RATE_LIMIT", default: 300, in: 1...1_000_000_000)
        rateWindow = reader.number("CADENZA_LISTENS_RATE_WINDOW", default: 10.0, in: 1...86_400)
        lastfmAcceptUnknownKeys = reader.choice("CADENZA_LASTFM_UNKNOWN_KEYS", ["accept", "reject"], default: "accept") == "accept"
        importMaxUnpackedBytes = Int64(reader.number("CADENZA_IMPORT_MAX_UNPACKED_MB", default: 1024, in: 1...65_536)) << 20
    }
}

extension Settings {
    var listens: ListensSettings {
        get throws { try section(ListensSettings.self) }
    }
}

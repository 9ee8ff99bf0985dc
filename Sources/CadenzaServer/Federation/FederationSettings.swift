/// How this instance talks to others over ActivityPub.
struct FederationSettings: SettingsSection {
    static let keys: [(key: String, help: String)] = [
        ("CADENZA_FEDERATION", "0: no ActivityPub at all (no actors, inbox or follows of other instances); default 1"),
        ("CADENZA_FEDERATION_ALLOW_HTTP", "1: peers may be plain http:// (tests and closed networks); default 0, https only"),
        ("CADENZA_FEDERATION_PRIVATE_ADDRESSES", "1: peers may be on loopback or private-network addresses; default 0"),
        ("CADENZA_FEDERATION_AUTHORIZED_FETCH", "1: actor documents and collections need a signed GET (as Mastodon's secure mode); default 0"),
        ("CADENZA_FEDERATION_ALLOW_LIST", "1: only domains an administrator allowed may federate; default 0 (all but blocked ones)"),
        ("CADENZA_FEDERATION_MAX_ATTEMPTS", "tries before an activity's delivery to one inbox is given up (backoff 30 s doubling to 6 h); default 8"),
        ("CADENZA_FEDERATION_RETRY_SECONDS", "the first retry's delay; default 30"),
        ("CADENZA_FEDERATION_CACHE_MB", "disk kept for copies of followed libraries' tracks, least recently played dropped first; default 2048"),
    ]

    var enabled: Bool
    var allowHTTP: Bool
    var allowPrivateAddresses: Bool
    var authorizedFetch: Bool
    var allowListMode: Bool
    var maxAttempts: Int
    var retrySeconds: Int
    var cacheMegabytes: Int

    init(_ reader: SettingsReader) {
        enabled = reader.bool("CADENZA_FEDERATION", default: true)
        allowHTTP = reader.bool("CADENZA_FEDERATION_ALLOW_HTTP", default: false)
        allowPrivateAddresses = reader.bool("CADENZA_FEDERATION_PRIVATE_ADDRESSES", default: false)
        authorizedFetch = reader.bool("CADENZA_FEDERATION_AUTHORIZED_FETCH", default: false)
        allowListMode = reader.bool("CADENZA_FEDERATION_ALLOW_LIST", default: false)
        maxAttempts = reader.number("CADENZA_FEDERATION_MAX_ATTEMPTS", default: 8, in: 1...30)
        retrySeconds = reader.number("CADENZA_FEDERATION_RETRY_SECONDS", default: 30, in: 1...3600)
        cacheMegabytes = reader.number("CADENZA_FEDERATION_CACHE_MB", default: 2048, in: 16...1_048_576)
    }
}

/// How notifications leave the server.
struct NotificationSettings: SettingsSection {
    static let keys: [(key: String, help: String)] = [
        ("CADENZA_WEBHOOK_PRIVATE_ADDRESSES", "1: webhooks may go to loopback and private-network addresses (a LAN ntfy); default 0"),
        ("CADENZA_NOTIFY_MAX_ATTEMPTS", "tries before a notification is given up (backoff from 30 s to 6 h); default 10"),
        ("CADENZA_NOTIFY_RETRY_SECONDS", "the first retry's delay, doubling each time up to 6 hours; default 30"),
        ("CADENZA_NOTIFY_DISABLE_AFTER", "failed tries in a row after which a destination is turned off; default 20"),
    ]

    var allowPrivateWebhooks: Bool
    var maxAttempts: Int
    var disableAfter: Int
    var retrySeconds: Int

    init(_ reader: SettingsReader) {
        allowPrivateWebhooks = reader.bool("CADENZA_WEBHOOK_PRIVATE_ADDRESSES", default: false)
        maxAttempts = reader.number("CADENZA_NOTIFY_MAX_ATTEMPTS", default: 10, in: 1...50)
        retrySeconds = reader.number("CADENZA_NOTIFY_RETRY_SECONDS", default: 30, in: 1...3600)
        disableAfter = reader.number("CADENZA_NOTIFY_DISABLE_AFTER", default: 20, in: 1...1000)
    }
}

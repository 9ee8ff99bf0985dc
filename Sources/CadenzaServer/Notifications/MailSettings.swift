import CadenzaMail
import Foundation

/// Outgoing mail: where it goes and whom it is from.
struct MailSettings: SettingsSection {
    static let keys: [(key: String, help: String)] = [
        ("CADENZA_SMTP_URL", "smtp://user:pass@host:587 (STARTTLS when offered) or smtps://user:pass@host:465 (TLS); unset: no email"),
        ("CADENZA_MAIL_FROM", "the From of every message, e.g. \"Cadenza <cadenza@example.org>\" (needed with CADENZA_SMTP_URL)"),
        ("CADENZA_SMTP_CA_FILE", "PEM certificate authorities to trust for the mail server instead of the system's"),
    ]

    var smtp: SMTPConfiguration?
    var from: MailAddress?

    init(_ reader: SettingsReader) {
        if let raw = reader.value("CADENZA_SMTP_URL") {
            do {
                var configuration = try SMTPConfiguration(url: raw)
                configuration.trustRootsFile = reader.value("CADENZA_SMTP_CA_FILE")
                if let file = configuration.trustRootsFile, !FileManager.default.isReadableFile(atPath: file) {
                    reader.problem("CADENZA_SMTP_CA_FILE=\(file): not a readable file")
                }
                smtp = configuration
            } catch {
                reader.problem("CADENZA_SMTP_URL: \(error.description)")
            }
        }
        if let raw = reader.value("CADENZA_MAIL_FROM") {
            do { from = try MailAddress(parsing: raw) } catch { reader.problem("CADENZA_MAIL_FROM: \(error.description)") }
        } else if smtp != nil {
            reader.problem("CADENZA_MAIL_FROM: needed with CADENZA_SMTP_URL (the address messages come from)")
        }
    }

    /// A client for the configured server, greeting as the host of the server's public URL.
    static func client(_ smtp: SMTPConfiguration, settings: Settings) -> SMTPClient {
        SMTPClient(configuration: smtp, heloName: URL(string: settings.publicURL)?.host ?? "localhost")
    }
}

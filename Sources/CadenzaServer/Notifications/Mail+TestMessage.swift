import CadenzaMail
import Foundation

extension AdminCommands {
    /// Sends a test message to `address` through the configured server; the lines say what the
    /// server answered (an error carries its refusal).
    public static func mailTest(settings: Settings, address: String) async throws -> [String] {
        let mail = try settings.section(MailSettings.self)
        guard let smtp = mail.smtp, let from = mail.from else {
            throw MailCommandError("no mail server: set CADENZA_SMTP_URL and CADENZA_MAIL_FROM")
        }
        let to: MailAddress
        do { to = try MailAddress(parsing: address) } catch { throw MailCommandError(error.description) }
        let message = MailMessage(
            from: from, to: [to], subject: "Cadenza: a test message ✓",
            text: """
                This is a test message from Cadenza at \(settings.publicURL).
                .
                If it reached you, the server can send mail: confirmations, notifications and digests.
                """,
            html:
                "<p>This is a test message from Cadenza at \(XMLText.escape(settings.publicURL)).</p><p>If it reached you, the server can send mail.</p>",
            headers: [("Auto-Submitted", "auto-generated")])
        let client = MailSettings.client(smtp, settings: settings)
        do {
            let reply = try await client.send(message)
            return ["sent to \(to.address) through \(smtp.host):\(smtp.port)", "server: \(reply)"]
        } catch {
            throw MailCommandError("not sent: \(error.description)\(error.isPermanent ? "" : " (a temporary failure: try again later)")")
        }
    }
}

struct MailCommandError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

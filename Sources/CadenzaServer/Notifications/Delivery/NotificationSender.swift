import AsyncHTTPClient
import CadenzaMail
import Foundation
import NIOCore
import NIOHTTP1

/// Sends one batch of deliveries to one email address or webhook, and says what became of it.
struct NotificationSender: Sendable {
    enum Outcome: Sendable, Equatable {
        case sent
        /// Worth trying again later (a 4xx SMTP reply, a timeout, an HTTP 500).
        case retry(String)
        /// Trying again cannot help (SMTP 5xx, HTTP 410); `disable` when the address itself is refused.
        case permanent(String, disable: Bool)
    }

    let settings: Settings
    let mail: MailSettings
    let notify: NotificationSettings
    let secrets: SecretBox

    /// One client for the process, never shut down (as `HTTPClient.shared`): redirects are not
    /// followed, so a receiver cannot bounce the server to an address it would refuse.
    static let http = HTTPClient(
        eventLoopGroup: HTTPClient.defaultEventLoopGroup,
        configuration: HTTPClient.Configuration(
            redirectConfiguration: .disallow, timeout: .init(connect: .seconds(5), read: .seconds(10))))

    var baseURL: String { settings.publicURL.hasSuffix("/") ? String(settings.publicURL.dropLast()) : settings.publicURL }

    func absolute(_ link: String?) -> String? {
        guard let link else { return nil }
        return link.hasPrefix("/") ? baseURL + link : link
    }

    func send(_ items: [Delivery], messageID: String, to destination: NotificationDestination) async -> Outcome {
        switch destination.kind {
        case .inbox: return .sent
        case .email: return await sendMail(items, messageID: messageID, to: destination)
        case .webhook:
            let webhookItems = items.map {
                WebhookMessage.Item(
                    eventId: String($0.eventID), type: $0.type, severity: $0.severity, title: $0.title, body: $0.body,
                    url: absolute($0.link), rules: $0.ruleIDs.map(String.init))
            }
            return await post(webhookItems, messageID: messageID, to: destination)
        }
    }

    // MARK: - Webhooks

    func post(_ items: [WebhookMessage.Item], messageID: String, to destination: NotificationDestination) async -> Outcome {
        let url: URL
        let target: URL
        do {
            url = try OutboundAddress.parse(destination.address)
            target = try await OutboundAddress.check(url, allowPrivate: notify.allowPrivateWebhooks)
        } catch OutboundAddress.Problem.unresolved(let host) {
            return .retry("\(host) does not resolve")
        } catch {
            return .permanent("\(error)", disable: true)
        }
        let secret = destination.secretSealed.flatMap(secrets.open)
        let message: WebhookMessage
        do {
            message = try WebhookMessage.make(
                format: destination.format ?? .standard, id: messageID, timestamp: Clock.nowMillis() / 1000, items: items, secret: secret,
                digestTitle: "\(items.count) notifications from Cadenza")
        } catch {
            return .permanent("the message could not be written: \(error)", disable: false)
        }
        var request = HTTPClientRequest(url: target.absoluteString)
        request.method = .POST
        request.headers.add(name: "User-Agent", value: "Cadenza")
        if target != url, let host = OutboundAddress.hostHeader(url) { request.headers.replaceOrAdd(name: "Host", value: host) }
        for (name, value) in message.headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: message.body))
        do {
            let response = try await Self.http.execute(request, timeout: .seconds(15))
            // Read (a little of) the body so the connection can be reused; what it says is not used.
            _ = try? await response.body.collect(upTo: 64 * 1024)
            switch response.status.code {
            case 200..<300: return .sent
            case 410: return .permanent("the receiver answered 410 Gone", disable: true)
            default: return .retry("the receiver answered HTTP \(response.status.code)")
            }
        } catch {
            return .retry("\(error)")
        }
    }

    // MARK: - Email

    func sendMail(_ items: [Delivery], messageID: String, to destination: NotificationDestination) async -> Outcome {
        guard let smtp = mail.smtp, let from = mail.from else { return .retry("no mail server is configured (CADENZA_SMTP_URL)") }
        let to: MailAddress
        do { to = try MailAddress(parsing: destination.address) } catch { return .permanent(error.description, disable: true) }
        let message = mailMessage(items, messageID: messageID, from: from, to: to, destination: destination)
        let client = MailSettings.client(smtp, settings: settings)
        do {
            _ = try await client.send(message)
            return .sent
        } catch {
            guard error.isPermanent else { return .retry(error.description) }
            if case .rejected(let step, _) = error, step.hasPrefix("RCPT") { return .permanent(error.description, disable: true) }
            return .permanent(error.description, disable: false)
        }
    }

    /// The one-click unsubscribe link (RFC 8058) of a destination: signed, so it needs no sign-in.
    func unsubscribeURL(_ destination: NotificationDestination) -> String {
        "\(baseURL)/notifications/unsubscribe?d=\(destination.id)&t=\(Self.unsubscribeToken(destination.id, secrets: secrets))"
    }

    static func unsubscribeToken(_ destinationID: Int64, secrets: SecretBox) -> String {
        secrets.mac("unsubscribe:\(destinationID)")
    }

    func mailMessage(
        _ items: [Delivery], messageID: String, from: MailAddress, to: MailAddress, destination: NotificationDestination
    ) -> MailMessage {
        let subject = items.count == 1 ? items[0].title : "\(items.count) notifications from Cadenza"
        var text = ""
        var html = ""
        for (index, item) in items.enumerated() {
            if items.count > 1 {
                text += "\(index + 1). "
            }
            text += item.title + "\n"
            if !item.body.isEmpty { text += item.body + "\n" }
            if let link = absolute(item.link) { text += link + "\n" }
            text += "\n"
            html += "<p><strong>\(XMLText.escape(item.title))</strong>"
            if !item.body.isEmpty { html += "<br>\(XMLText.escape(item.body))" }
            if let link = absolute(item.link) { html += "<br><a href=\"\(XMLText.escape(link))\">\(XMLText.escape(link))</a>" }
            html += "</p>\n"
        }
        let rules = Set(items.flatMap(\.ruleIDs)).sorted().map { "\(baseURL)/#/notifications?rule=\($0)" }
        let unsubscribe = unsubscribeURL(destination)
        text += "--\nYou get this because of your notification rules: \(rules.joined(separator: " "))\n"
        text += "Stop these emails: \(unsubscribe)\n"
        html +=
            "<hr><p style=\"color:#666;font-size:small\">You get this because of your <a href=\"\(XMLText.escape(rules.first ?? baseURL))\">notification rules</a>. "
        html += "<a href=\"\(XMLText.escape(unsubscribe))\">Stop these emails</a>.</p>"
        let host = URL(string: settings.publicURL)?.host ?? "localhost"
        return MailMessage(
            from: from, to: [to], subject: subject, text: text, html: html,
            headers: [
                ("List-Unsubscribe", "<\(unsubscribe)>"),
                ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
                ("Auto-Submitted", "auto-generated"),
                ("X-Cadenza-Event-Type", items.count == 1 ? items[0].type : "digest"),
            ],
            messageID: "<\(messageID)@\(host)>")
    }
}

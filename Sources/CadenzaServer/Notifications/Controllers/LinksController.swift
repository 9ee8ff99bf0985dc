import Fluent
import Vapor

/// The pages links in emails open, without signing in: one-click unsubscribe (RFC 8058: a
/// POST with `List-Unsubscribe=One-Click` from the mail client, or the button on the page a GET
/// shows) and the address confirmation (a GET shows a button; only the POST confirms, so a
/// mail scanner following links confirms nothing).
enum LinksController {
    @Sendable static func unsubscribePage(req: Request) async throws -> Response {
        guard let destination = try await unsubscribeTarget(req) else {
            return page(status: .notFound, title: "Link not valid", body: "<p>This unsubscribe link is not valid (or its address was removed).</p>")
        }
        if destination.disabledAt != nil {
            return page(title: "Unsubscribed", body: "<p>Notifications to \(XMLText.escape(destination.address)) are already off.</p>")
        }
        return page(
            title: "Stop these emails?",
            body: """
                <p>Cadenza sends notifications to <strong>\(XMLText.escape(destination.address))</strong>.</p>
                <form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click">
                <button type="submit" id="unsubscribe">Stop sending them</button></form>
                <p>You can turn them on again in <a href="/#/notifications">your notification settings</a>.</p>
                """)
    }

    @Sendable static func unsubscribe(req: Request) async throws -> Response {
        guard let destination = try await unsubscribeTarget(req) else {
            return page(status: .notFound, title: "Link not valid", body: "<p>This unsubscribe link is not valid.</p>")
        }
        if destination.disabledAt == nil {
            try await req.db.writeTransaction { tx in
                try await DeliveryJobs.turnOff(destination, reason: "unsubscribed by the link in an email", on: tx.sql)
            }
        }
        return page(
            title: "Unsubscribed",
            body:
                "<p>No more notifications go to \(XMLText.escape(destination.address)). You can turn them on again in <a href=\"/#/notifications\">your notification settings</a>.</p>"
        )
    }

    private static func unsubscribeTarget(_ req: Request) async throws -> NotificationDestination? {
        guard let text = req.query[String.self, at: "d"], let id = Int64(text), let token = req.query[String.self, at: "t"], token.utf8.count < 100
        else { return nil }
        let expected = NotificationSender.unsubscribeToken(id, secrets: try req.application.secretBox)
        guard Secrets.equal(Secrets.hash(token), Secrets.hash(expected)),
            let destination = try await NotificationDestinations.find(id, on: req.sql), destination.kind == .email
        else { return nil }
        return destination
    }

    @Sendable static func confirmPage(req: Request) async throws -> Response {
        guard let token = req.query[String.self, at: "token"], !token.isEmpty, token.utf8.count < 100 else {
            return page(status: .notFound, title: "Link not valid", body: "<p>This confirmation link is not valid.</p>")
        }
        return page(
            title: "Confirm this address",
            body: """
                <p>Confirm that Cadenza may send notifications to this address.</p>
                <form method="post"><input type="hidden" name="token" value="\(XMLText.escape(token))">
                <button type="submit" id="confirm">Confirm</button></form>
                """)
    }

    struct ConfirmForm: Content {
        var token: String?
    }

    @Sendable static func confirm(req: Request) async throws -> Response {
        let form = try? req.content.decode(ConfirmForm.self)
        guard let token = form?.token ?? req.query[String.self, at: "token"], !token.isEmpty, token.utf8.count < 100 else {
            return page(status: .notFound, title: "Link not valid", body: "<p>This confirmation link is not valid.</p>")
        }
        let confirmed = try await req.db.writeTransaction { tx in
            try await NotificationDestinations.confirm(tokenHash: Secrets.hash(token), on: tx.sql)
        }
        guard confirmed != nil else {
            return page(
                status: .notFound, title: "Link not valid",
                body:
                    "<p>This confirmation link is not valid or has expired. Send a new one from <a href=\"/#/notifications\">your notification settings</a>.</p>"
            )
        }
        return page(
            title: "Address confirmed",
            body:
                "<p>Cadenza will send notifications to this address. Choose which in <a href=\"/#/notifications\">your notification settings</a>.</p>"
        )
    }

    static func page(status: HTTPStatus = .ok, title: String, body: String) -> Response {
        let html = """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(XMLText.escape(title)) · Cadenza</title><link rel="stylesheet" href="/app/style.css"></head>
            <body><main class="standalone"><h1>\(XMLText.escape(title))</h1>\(body)</main></body></html>
            """
        let response = Response(status: status, body: .init(string: html))
        response.headers.contentType = .html
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }
}

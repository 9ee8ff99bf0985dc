import Fluent
import CadenzaMail
import Vapor

/// `/api/v1/notification-destinations`: where a user's notifications go. A new email address
/// is sent a confirmation link and a new webhook a test message; neither is used before that
/// worked.
enum DestinationsController {
    static let maxDestinations = 20

    struct Change: Decodable {
        var kind: NotificationDestination.Kind?
        var name: String?
        var address: String?
        var format: NotificationDestination.Format?
        /// A webhook's secret: `whsec_…` for Standard Webhooks (made for you when omitted), an
        /// access token for ntfy or Gotify.
        var secret: String?
        var digestMinutes: Int?
        var digestCount: Int?
        /// "HH:MM": a daily digest at that time in `timeZone` ("" turns it off).
        var digestAt: String?
        var timeZone: String?
        var ratePerHour: Int?
        /// false turns it off; true turns a disabled one on again (and tests it again).
        var enabled: Bool?
    }

    @Sendable static func list(req: Request) async throws -> [DestinationDTO] {
        let user = try req.requireUser()
        try await ensureStarted(user, on: req.db)
        let counts = try await Deliveries.counts(userID: user.userID, on: req.sql)
        return try await NotificationDestinations.of(userID: user.userID, on: req.sql).map { DestinationDTO($0, deliveries: counts[$0.id] ?? [:]) }
    }

    @Sendable static func create(req: Request) async throws -> Response {
        let user = try req.requireUser()
        let change = try await req.decodeJSON(Change.self)
        let notify = try req.application.settings.section(NotificationSettings.self)
        guard let kind = change.kind, kind != .inbox else { throw APIError.badRequest("kind: email or webhook") }
        guard let rawAddress = change.address?.trimmingCharacters(in: .whitespaces), !rawAddress.isEmpty else {
            throw APIError.badRequest("address: an email address or a webhook URL")
        }
        var address = rawAddress
        var format: NotificationDestination.Format?
        var secret: String?
        var shownSecret: String?
        switch kind {
        case .email:
            guard try req.application.settings.section(MailSettings.self).smtp != nil else {
                throw APIError.conflict("This server sends no email (its administrator has not set CADENZA_SMTP_URL).")
            }
            do { address = try MailAddress(parsing: rawAddress).address } catch { throw APIError.badRequest("address: \(error.description)") }
        case .webhook:
            do {
                let url = try OutboundAddress.parse(rawAddress)
                _ = try await OutboundAddress.check(url, allowPrivate: notify.allowPrivateWebhooks)
                address = url.absoluteString
            } catch {
                throw APIError.badRequest("address: \(error)")
            }
            format = change.format ?? .standard
            if format == .standard {
                if let given = change.secret {
                    guard WebhookMessage.signingKey(given) != nil else {
                        throw APIError.badRequest("secret: whsec_ followed by 16 to 64 bytes in base64")
                    }
                    secret = given
                } else {
                    secret = WebhookMessage.newSecret()
                    shownSecret = secret
                }
            } else if let given = change.secret, !given.isEmpty {
                guard given.utf8.count <= 200, given.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 && $0.value < 0x7F }) else {
                    throw APIError.badRequest("secret: an access token (printable ASCII, at most 200 characters)")
                }
                secret = given
            }
        case .inbox:
            throw APIError.badRequest("kind: email or webhook")
        }
        try await ensureStarted(user, on: req.db)
        let name = try validName(change.name ?? address)
        let (minutes, count, rate) = try validPolicy(change, current: nil)
        let (digestAt, zone) = try validDaily(change, current: nil)
        let sealed = try secret.map { try req.application.secretBox.seal($0) }
        let (finalAddress, finalFormat) = (address, format)
        let id = try await req.db.writeTransaction { tx -> Int64 in
            guard try await NotificationDestinations.of(userID: user.userID, on: tx.sql).count < maxDestinations else {
                throw APIError.conflict("At most \(maxDestinations) destinations.")
            }
            let id = try await NotificationDestinations.create(
                userID: user.userID, kind: kind, name: name, address: finalAddress, format: finalFormat, secretSealed: sealed, confirmed: false,
                digestMinutes: minutes, digestCount: count, digestAt: digestAt, timeZone: zone, ratePerHour: rate, on: tx.sql)
            try await JobQueue.enqueue(.init(kind: DeliveryJobs.testJob, payload: DeliveryJobs.DestinationPayload(destinationId: id)), on: tx.sql)
            return id
        }
        guard let destination = try await NotificationDestinations.find(id, on: req.sql) else { throw APIError.notFound("Destination") }
        let response = Response(status: .created)
        try response.content.encode(DestinationDTO(destination, secret: shownSecret))
        return response
    }

    @Sendable static func update(req: Request) async throws -> DestinationDTO {
        let user = try req.requireUser()
        var destination = try await find(req, user: user)
        let change = try await req.decodeJSON(Change.self)
        guard change.address == nil, change.kind == nil, change.format == nil, change.secret == nil else {
            throw APIError.badRequest("The kind, address, format and secret cannot change: add a new destination.")
        }
        if let name = change.name { destination.name = try validName(name) }
        (destination.digestMinutes, destination.digestCount, destination.ratePerHour) = try validPolicy(change, current: destination)
        (destination.digestAt, destination.timeZone) = try validDaily(change, current: destination)
        var retest = false
        if let enabled = change.enabled {
            if !enabled, destination.disabledAt == nil {
                guard destination.kind != .inbox else { throw APIError.badRequest("The inbox cannot be turned off; change the rules instead.") }
                destination.disabledAt = Clock.nowMillis()
            } else if enabled, destination.disabledAt != nil {
                destination.disabledAt = nil
                destination.failures = 0
                // A webhook is tested again; an address (perhaps unsubscribed by its owner) confirmed again.
                retest = true
            }
        }
        let (updated, retestNow) = (destination, retest)
        try await req.db.writeTransaction { tx in
            try await NotificationDestinations.update(updated, on: tx.sql)
            if retestNow, updated.kind == .email { try await NotificationDestinations.requireConfirmation(updated.id, on: tx.sql) }
            if retestNow {
                try await JobQueue.enqueue(
                    .init(kind: DeliveryJobs.testJob, payload: DeliveryJobs.DestinationPayload(destinationId: updated.id)), on: tx.sql)
            }
        }
        return DestinationDTO(try await find(req, user: user))
    }

    @Sendable static func delete(req: Request) async throws -> HTTPStatus {
        let user = try req.requireUser()
        let destination = try await find(req, user: user)
        guard destination.kind != .inbox else { throw APIError.badRequest("The inbox cannot be removed.") }
        _ = try await req.db.writeTransaction { tx in try await NotificationDestinations.delete(destination.id, userID: user.userID, on: tx.sql) }
        return .noContent
    }

    /// Sends a test message (or, for an address not yet confirmed, the confirmation link again).
    @Sendable static func test(req: Request) async throws -> Response {
        let user = try req.requireUser()
        let destination = try await find(req, user: user)
        guard destination.kind != .inbox else { throw APIError.badRequest("The inbox needs no test.") }
        _ = try await req.db.writeTransaction { tx in
            try await JobQueue.enqueue(
                .init(
                    kind: DeliveryJobs.testJob, payload: DeliveryJobs.DestinationPayload(destinationId: destination.id),
                    uniqueKey: "notify-test:\(destination.id)"), on: tx.sql)
        }
        return Response(status: .accepted)
    }

    /// A user's inbox and default rules, made the first time any notification page is used
    /// (the event consumer makes them too, when it first sees the account).
    static func ensureStarted(_ user: Principal, on database: any Database) async throws {
        guard try await NotificationDestinations.inbox(of: user.userID, on: database.sql) == nil else { return }
        try await database.writeTransaction { tx in
            if try await NotificationRules.ensureDefaults(userID: user.userID, isAdmin: user.isAdmin, on: tx.sql) {
                try await NotificationsEvents.appendRulesChanged(userID: user.userID, on: tx.sql)
            }
        }
    }

    static func find(_ req: Request, user: Principal) async throws -> NotificationDestination {
        let id = try req.int64Parameter("id", what: "Destination")
        guard let destination = try await NotificationDestinations.find(id, userID: user.userID, on: req.sql) else {
            throw APIError.notFound("Destination")
        }
        return destination
    }

    static func validName(_ name: String) throws -> String {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, trimmed.count <= 100 else { throw APIError.badRequest("name: 1 to 100 characters") }
        return trimmed
    }

    static func validDaily(_ change: Change, current: NotificationDestination?) throws -> (Int?, String) {
        let zone = change.timeZone ?? current?.timeZone ?? "UTC"
        guard zone.utf8.count <= 64, TimeZone(identifier: zone) != nil else { throw APIError.badRequest("timeZone: an IANA time zone") }
        guard let text = change.digestAt else { return (current?.digestAt, zone) }
        if text.isEmpty { return (nil, zone) }
        guard let minutes = RuleDTO.minutes(text) else { throw APIError.badRequest("digestAt: HH:MM, or empty for none") }
        return (minutes, zone)
    }

    static func validPolicy(_ change: Change, current: NotificationDestination?) throws -> (Int, Int, Int) {
        let minutes = change.digestMinutes ?? current?.digestMinutes ?? 0
        let count = change.digestCount ?? current?.digestCount ?? 0
        let rate = change.ratePerHour ?? current?.ratePerHour ?? 30
        guard (0...10_080).contains(minutes) else { throw APIError.badRequest("digestMinutes: 0 (send at once) to 10080 (a week)") }
        guard (0...1000).contains(count) else { throw APIError.badRequest("digestCount: 0 to 1000") }
        guard (1...3600).contains(rate) else { throw APIError.badRequest("ratePerHour: 1 to 3600") }
        return (minutes, count, rate)
    }
}

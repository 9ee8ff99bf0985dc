import Crypto
import Foundation
import Testing

@testable import CadenzaServer

/// The rule index, its filters, quiet hours and webhook signatures, without a database.
@Suite struct NotificationMatchingTests {
    static func rule(
        _ id: Int64, user: Int64, _ tracking: NotificationRule.Tracking, targets: [String] = [], types: [String] = [],
        min: EventSeverity = .info, own: Bool = false
    ) -> NotificationRule {
        NotificationRule(
            id: id, userID: user, name: "r\(id)", tracking: tracking, targets: targets, types: types, minSeverity: min, includeOwn: own,
            oneShot: false, enabled: true, quietHours: nil, destinationIDs: [id])
    }

    @Test func candidatesComeFromWhatTheEventReferences() {
        let rules = [
            Self.rule(1, user: 10, .mentions),
            Self.rule(2, user: 11, .followed, targets: ["station:jazz"], types: ["station.*"]),
            Self.rule(3, user: 12, .users, targets: ["following"]),
            Self.rule(4, user: 13, .admin, min: .warning),
            Self.rule(5, user: 14, .admin),
        ]
        let index = RuleIndex(rules: rules, following: [12: [20]], admins: [13])
        #expect(index.count == 5)
        func ids(_ type: String, _ severity: EventSeverity = .info, actor: Int64? = nil, refs: [EventReference]) -> [Int64] {
            index.matches(type: type, severity: severity, actorID: actor, references: refs).map(\.id).sorted()
        }
        #expect(ids("user.followed", actor: 20, refs: [.mention(10), .actor(20)]) == [1, 3])
        #expect(ids("station.dead_air", .error, refs: [.object("station", "jazz"), .admin]) == [2, 4])
        #expect(ids("station.dead_air", .info, refs: [.admin]) == [])  // below rule 4's severity; 14 is no admin
        #expect(ids("listen", refs: [.object("station", "jazz")]) == [])  // rule 2 names station.* only
        // Not my own actions, unless the rule says so.
        #expect(ids("user.followed", actor: 10, refs: [.mention(10), .actor(10)]) == [])
    }

    @Test func replacingAUsersRulesLeavesNoStaleKeys() {
        var index = RuleIndex(rules: [Self.rule(1, user: 10, .followed, targets: ["library:1"])], following: [:], admins: [])
        index.replace(userID: 10, with: [Self.rule(2, user: 10, .followed, targets: ["library:2"])], following: [], isAdmin: false)
        #expect(index.matches(type: "x", severity: .info, actorID: nil, references: [.object("library", "1")]).isEmpty)
        #expect(index.matches(type: "x", severity: .info, actorID: nil, references: [.object("library", "2")]).map(\.id) == [2])
        index.remove(2)
        #expect(index.count == 0)
    }

    @Test func starredArtistsStandForTheirArtists() {
        let rule = Self.rule(1, user: 10, .followed, targets: ["starred", "library:2"], types: ["album.added"])
        let index = RuleIndex(rules: [rule], following: [:], starred: [10: [7, 8]], admins: [])
        #expect(index.matches(type: "album.added", severity: .info, actorID: nil, references: [.object("artist", "8")]).map(\.id) == [1])
        #expect(index.matches(type: "album.added", severity: .info, actorID: nil, references: [.object("library", "2")]).map(\.id) == [1])
        #expect(index.matches(type: "album.added", severity: .info, actorID: nil, references: [.object("artist", "9")]).isEmpty)
        #expect(!RuleIndex.keys(of: rule, following: [], starred: [7], isAdmin: false).contains("starred"))
    }

    @Test func typeGlobs() {
        #expect(TypeGlob("station.*").matches("station.dead_air"))
        #expect(!TypeGlob("station.*").matches("stations"))
        #expect(TypeGlob("*.failed").matches("upload.failed"))
        #expect(TypeGlob("a*b*c").matches("aXbYc") && !TypeGlob("a*b*c").matches("aXcYb"))
        #expect(!TypeGlob("a*a").matches("a"))
        #expect(TypeGlob("listen").matches("listen") && !TypeGlob("listen").matches("listens"))
    }

    @Test func quietHoursAcrossMidnightInTheirZone() throws {
        let quiet = QuietHours(start: 22 * 60, end: 7 * 60, timeZone: "Europe/Berlin")
        // 2026-01-15 22:30 UTC is 23:30 in Berlin: quiet until 07:00 Berlin, 06:00 UTC.
        let late = Int64(Date(timeIntervalSince1970: 1_768_516_200).timeIntervalSince1970 * 1000)
        #expect(quiet.contains(late))
        #expect(quiet.end(after: late) == late + (7 * 3600 + 30 * 60) * 1000)
        #expect(!quiet.contains(late + 12 * 3_600_000))
        #expect(!QuietHours(start: 60, end: 60, timeZone: "UTC").contains(late))
    }

    /// A daily digest at 08:00 in Berlin: the slot before 07:30 UTC in winter is yesterday's 07:00 UTC.
    @Test func dailyDigestSlots() {
        let winter: Int64 = 1_768_462_200_000  // 2026-01-15 07:30 UTC = 08:30 Berlin
        #expect(NotificationDestination.lastSlot(minute: 8 * 60, timeZone: "Europe/Berlin", now: winter) == winter - 30 * 60_000)
        #expect(NotificationDestination.lastSlot(minute: 9 * 60, timeZone: "Europe/Berlin", now: winter) == winter + 30 * 60_000 - 86_400_000)
        let summer: Int64 = 1_784_093_400_000  // 2026-07-15 05:30 UTC = 07:30 Berlin (CEST)
        #expect(NotificationDestination.lastSlot(minute: 7 * 60, timeZone: "Europe/Berlin", now: summer) == summer - 30 * 60_000)
    }

    /// The signature a Standard Webhooks receiver computes: HMAC-SHA256 of `id.timestamp.body`
    /// with the key after `whsec_`, base64, as `v1,…`.
    @Test func standardWebhooksSignature() throws {
        let key = Data((0..<24).map { UInt8($0) })
        let secret = "whsec_" + key.base64EncodedString()
        let item = WebhookMessage.Item(eventId: "1", type: "user.followed", severity: "info", title: "t", body: "", url: nil, rules: ["2"])
        let message = try WebhookMessage.make(
            format: .standard, id: "msg_1", timestamp: 1_700_000_000, items: [item], secret: secret, digestTitle: "")
        let headers = Dictionary(message.headers, uniquingKeysWith: { a, _ in a })
        var signed = Data("msg_1.1700000000.".utf8)
        signed.append(message.body)
        let expected = Data(HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: key))).base64EncodedString()
        #expect(headers["webhook-signature"] == "v1," + expected)
        #expect(headers["webhook-id"] == "msg_1" && headers["webhook-timestamp"] == "1700000000")
        #expect(WebhookMessage.signingKey("whsec_short") == nil && WebhookMessage.signingKey("nope") == nil)
        let ntfy = try WebhookMessage.make(format: .ntfy, id: "m", timestamp: 0, items: [item], secret: "tk_x", digestTitle: "")
        #expect(ntfy.headers.contains { $0 == ("Authorization", "Bearer tk_x") })
    }

    @Test func privateAddressesAreRecognised() {
        for bytes: [UInt8] in [
            [127, 0, 0, 1], [10, 1, 2, 3], [192, 168, 0, 1], [172, 20, 0, 1], [169, 254, 169, 254], [100, 64, 0, 1], [0, 0, 0, 0],
        ] {
            #expect(OutboundAddress.isPrivate(bytes))
        }
        #expect(!OutboundAddress.isPrivate([93, 184, 216, 34]))
        #expect(OutboundAddress.isPrivate(Array(repeating: 0, count: 15) + [1]))  // ::1
        #expect(OutboundAddress.isPrivate(Array(repeating: 0, count: 10) + [0xFF, 0xFF, 127, 0, 0, 1]))  // ::ffff:127.0.0.1
        #expect(OutboundAddress.isPrivate([0xFE, 0x80] + Array(repeating: 0, count: 14)))
        #expect(!OutboundAddress.isPrivate([0x26, 0x06] + Array(repeating: 1, count: 14)))
        #expect(OutboundAddress.isPrivate([0, 0x64, 0xFF, 0x9B] + Array(repeating: 0, count: 8) + [127, 0, 0, 1]))  // NAT64
        #expect(OutboundAddress.isPrivate([0x20, 0x02, 10, 0, 0, 1] + Array(repeating: 0, count: 10)))  // 6to4
        #expect(OutboundAddress.literal([93, 184, 216, 34]) == "93.184.216.34")
        #expect(OutboundAddress.literal([0x20, 0x01, 0x0d, 0xb8] + Array(repeating: 0, count: 11) + [1]) == "[2001:db8:0:0:0:0:0:1]")
    }
}

import Vapor
import Foundation
import Testing

@testable import CadenzaServer

/// The per-user station addresses Subsonic apps are given: one opens one station for one user,
/// while that user's password stays the same, and nothing else.
@Suite struct StationListenLinkTests {
    let secrets = SecretBox(key: SymmetricKey(size: .bits256))

    @Test func aLinkOpensItsOwnStationForItsOwnUserOnly() {
        let link = StationListenLink.value(userID: 7, stationID: 3, stamp: "abc", secrets: secrets)
        #expect(StationListenLink.claimedUserID(link) == 7)
        #expect(StationListenLink.verify(link, userID: 7, stationID: 3, stamp: "abc", secrets: secrets))
        // Another station, another user, a new password, another server's key.
        #expect(!StationListenLink.verify(link, userID: 7, stationID: 4, stamp: "abc", secrets: secrets))
        #expect(!StationListenLink.verify(link, userID: 8, stationID: 3, stamp: "abc", secrets: secrets))
        #expect(!StationListenLink.verify(link, userID: 7, stationID: 3, stamp: "abd", secrets: secrets))
        #expect(!StationListenLink.verify(link, userID: 7, stationID: 3, stamp: "abc", secrets: SecretBox(key: SymmetricKey(size: .bits256))))
        // The signature of one user's link under another user's id.
        let signature = link.split(separator: ".")[1]
        #expect(!StationListenLink.verify("8.\(signature)", userID: 8, stationID: 3, stamp: "abc", secrets: secrets))
    }

    @Test func malformedValuesNameNoOne() {
        let link = StationListenLink.value(userID: 7, stationID: 3, stamp: "abc", secrets: secrets)
        for bad in [
            "", ".", "7", "7.", "-1.\(link.dropFirst(2))", "0.\(link.dropFirst(2))", "x.\(link.dropFirst(2))",
            "99999999999999999999.abc", "7." + String(repeating: "A", count: 200), String(link.dropLast()), link + "A",
        ] {
            #expect(!StationListenLink.verify(bad, userID: 7, stationID: 3, stamp: "abc", secrets: secrets), "\(bad)")
        }
        #expect(StationListenLink.claimedUserID("-1.x") == nil && StationListenLink.claimedUserID("0.x") == nil)
        #expect(StationListenLink.claimedUserID("7." + String(repeating: "A", count: 200)) == nil)
    }
}

import Foundation

/// A station's stream address made for one user (`?listener=ID.SIGNATURE`): what Subsonic apps
/// are given, since a radio player plays the address as it is and sends no sign-in. It lets that
/// user hear that station (a private one they may hear too) and records their listens, like the
/// personal `?token=` address, without putting a token that opens anything else in a URL.
enum StationListenLink {
    static let parameter = "listener"

    static func value(userID: Int64, stationID: Int64, secrets: SecretBox) -> String {
        "\(userID).\(secrets.mac(message(userID: userID, stationID: stationID)))"
    }

    /// The user a link value was made for, if the server made it for this station.
    static func userID(from value: String, stationID: Int64, secrets: SecretBox) -> Int64? {
        guard value.utf8.count <= 100, let dot = value.firstIndex(of: "."), let userID = Int64(value[..<dot]), userID > 0 else { return nil }
        let expected = Array(secrets.mac(message(userID: userID, stationID: stationID)).utf8)
        let given = Array(value[value.index(after: dot)...].utf8)
        // Compared in full whatever differs first: the time taken tells nothing of the signature.
        guard given.count == expected.count else { return nil }
        return zip(given, expected).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0 ? userID : nil
    }

    private static func message(userID: Int64, stationID: Int64) -> String { "station-listen:\(userID):\(stationID)" }
}

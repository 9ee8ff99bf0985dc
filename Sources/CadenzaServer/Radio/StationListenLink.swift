import Foundation

/// A station's stream address made for one user (`?listener=ID.SIGNATURE`): what Subsonic apps
/// are given, since a radio player plays the address as it is and sends no sign-in. It lets that
/// user hear that station (a private one they may hear too) and records their listens, like the
/// personal `?token=` address, without putting a token that opens anything else in a URL. The
/// signature covers the user's credential stamp: a new password ends every address made before.
enum StationListenLink {
    static let parameter = "listener"

    static func value(userID: Int64, stationID: Int64, stamp: String, secrets: SecretBox) -> String {
        "\(userID).\(secrets.mac(message(userID: userID, stationID: stationID, stamp: stamp)))"
    }

    /// The user a value names, before it is verified (their stamp is needed to verify it).
    static func claimedUserID(_ value: String) -> Int64? {
        guard value.utf8.count <= 100, let dot = value.firstIndex(of: "."), let userID = Int64(value[..<dot]), userID > 0 else { return nil }
        return userID
    }

    /// Whether the server made `value` for this user, station and stamp.
    static func verify(_ value: String, userID: Int64, stationID: Int64, stamp: String, secrets: SecretBox) -> Bool {
        guard claimedUserID(value) == userID, let dot = value.firstIndex(of: ".") else { return false }
        let expected = Array(secrets.mac(message(userID: userID, stationID: stationID, stamp: stamp)).utf8)
        let given = Array(value[value.index(after: dot)...].utf8)
        // Compared in full whatever differs first: the time taken tells nothing of the signature.
        guard given.count == expected.count else { return false }
        return zip(given, expected).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    private static func message(userID: Int64, stationID: Int64, stamp: String) -> String {
        "station-listen:\(userID):\(stationID):\(stamp)"
    }
}

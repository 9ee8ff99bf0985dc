import Foundation

/// The ids this instance mints: every one derives from the public URL, port included, so two
/// instances on one host are two domains.
struct FederationURLs: Sendable {
    let base: String
    /// host[:port], lowercased: the domain, as peers and policies know it.
    let authority: String

    init(publicURL: String) {
        base = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
        authority = Self.authority(of: base) ?? "localhost"
    }

    init(settings: Settings) { self.init(publicURL: settings.publicURL) }

    /// host[:port] of an absolute http(s) URL (the port only when written), or nil.
    static func authority(of uri: String) -> String? { OutboundAddress.authority(of: uri) }

    static func encode(_ segment: String) -> String {
        segment.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "._-~"))) ?? segment
    }

    /// The service actor's name in WebFinger (a user of that name, if any, comes first).
    static let serviceUsername = "service"

    var service: String { "\(base)/federation/service" }
    var sharedInbox: String { "\(base)/federation/inbox" }
    func user(_ username: String) -> String { "\(base)/federation/actors/\(Self.encode(username))" }
    func library(_ id: Int64) -> String { "\(base)/federation/libraries/\(id)" }
    func audio(_ fileID: Int64) -> String { "\(base)/federation/audio/\(fileID)" }
    func audioStream(_ fileID: Int64) -> String { "\(base)/federation/audio/\(fileID)/stream" }
    func activity(_ id: String) -> String { "\(base)/federation/activities/\(id)" }
    func keyID(ofActor actor: String) -> String { "\(actor)#main-key" }

    /// What a local id names, if it is ours.
    enum Local: Equatable {
        case service
        case user(String)
        case library(Int64)
        case audio(Int64)
    }

    func local(_ uri: String) -> Local? {
        let bare = uri.split(separator: "#", maxSplits: 1).first.map(String.init) ?? uri
        guard bare.hasPrefix(base + "/federation/") else { return nil }
        let parts = bare.dropFirst(base.count + "/federation/".count).split(separator: "/", omittingEmptySubsequences: false)
        switch (parts.first, parts.count) {
        case ("service", 1): return .service
        case ("actors", 2): return parts[1].removingPercentEncoding.map { .user($0) }
        case ("libraries", 2): return Int64(parts[1]).map { .library($0) }
        case ("audio", 2): return Int64(parts[1]).map { .audio($0) }
        default: return nil
        }
    }
}

import Fluent
import Foundation
import SQLKit

/// ping, getLicense, getOpenSubsonicExtensions, tokenInfo.
enum SubsonicSystem {
    static let handlers: [String: SubsonicAPI.Handler] = [
        "ping": { _ in .empty },
        "getLicense": { _ in
            var license = SubsonicNode("license")
            license.set("valid", true)
            license.set("email", "")
            license.set("licenseExpires", "2099-12-31T00:00:00.000Z")
            return .node(license)
        },
        "getOpenSubsonicExtensions": { _ in
            let supported: [(String, [Int])] = [
                ("apiKeyAuthentication", [1]), ("formPost", [1]), ("transcodeOffset", [1]), ("transcoding", [1]), ("songLyrics", [1]),
                ("indexBasedQueue", [1]), ("playbackReport", [1]),
            ]
            return .ok([
                listWrapper(
                    "openSubsonicExtensions",
                    supported.map { name, versions in
                        var node = SubsonicNode("openSubsonicExtensions")
                        node.set("name", name)
                        node.add(list: "versions", versions.map { SubsonicNode.scalar("versions", .int(Int64($0))) })
                        return node
                    })
            ])
        },
        "tokenInfo": { context in
            guard context.params.string("apiKey") != nil else {
                throw SubsonicError(code: 42, message: "tokenInfo describes an apiKey; authenticate with one.")
            }
            var info = SubsonicNode("tokenInfo")
            info.set("username", context.user.username)
            return .node(info)
        },
    ]
}

/// OpenSubsonic puts some top-level lists directly in the envelope (`"openSubsonicExtensions": [...]`):
/// a marker node whose one list child is hoisted when rendered.
func listWrapper(_ name: String, _ nodes: [SubsonicNode]) -> SubsonicNode {
    var node = SubsonicNode("__list__")
    node.add(list: name, nodes)
    return node
}

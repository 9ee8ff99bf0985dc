import CadenzaFormats
import Foundation

/// The activities of following, as we send them.
enum FollowActivities {
    static func follow(id: String, actor: String, object: String, to owner: String) -> JSONValue {
        .object([
            "@context": ActivityContext.value, "id": .string(id), "type": .string("Follow"), "actor": .string(actor),
            "object": .string(object), "to": .array([.string(owner)]),
        ])
    }

    /// Accept or Reject: the object is the Follow as the follower sent it, its id verbatim (an
    /// id minted anew is what leaves Misskey's and reel2bits' follows pending forever).
    static func answer(_ type: String, id: String, actor: String, follow: JSONValue, to follower: String) -> JSONValue {
        .object([
            "@context": ActivityContext.value, "id": .string(id), "type": .string(type), "actor": .string(actor), "object": follow,
            "to": .array([.string(follower)]),
        ])
    }

    static func undo(id: String, actor: String, follow: JSONValue, to owner: String) -> JSONValue {
        .object([
            "@context": ActivityContext.value, "id": .string(id), "type": .string("Undo"), "actor": .string(actor), "object": follow,
            "to": .array([.string(owner)]),
        ])
    }
}

/// Who may read a user's listens, stats and playing-now: everyone (`public`), every signed-in
/// user of this server (`instance`, the default) or only the user and administrators (`private`).
enum ListenAccess {
    static let visibilities = ["public", "instance", "private"]

    static func canRead(_ owner: ListenOwner, viewer: Principal?) -> Bool {
        if let viewer, viewer.userID == owner.userID || viewer.isAdmin { return true }
        switch owner.visibility {
        case "public": return true
        case "instance": return viewer != nil
        default: return false
        }
    }
}

/// A stored file path's name and extension without bridging to NSString (whose path methods cost
/// more than the rest of a Subsonic song entry together: every search, album and list calls them).
extension String {
    /// After the last "/", trailing slashes ignored (as `NSString.lastPathComponent`).
    var fileName: String {
        var path = Substring(self)
        while path.utf8.count > 1, path.last == "/" { path = path.dropLast() }
        guard let slash = path.lastIndex(of: "/"), path.utf8.count > 1 else { return String(path) }
        return String(path[path.index(after: slash)...])
    }

    /// What follows the file name's last "." (as `NSString.pathExtension`): empty for none, for a
    /// name that only starts with a dot, and for a name ending in one.
    var fileExtension: String {
        let name = fileName
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return "" }
        return String(name[name.index(after: dot)...])
    }
}

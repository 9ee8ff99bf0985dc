/// A stored file path's name and extension without bridging to NSString (whose path methods cost
/// more than the rest of a Subsonic song entry together: every search, album and list calls them).
extension String {
    /// After the last "/", trailing slashes ignored (as `NSString.lastPathComponent`, but split at
    /// every "/": see `withoutTrailingSlashes`).
    var fileName: String {
        let path = withoutTrailingSlashes
        guard path.count > 1, let slash = path.lastIndex(of: Self.slash) else { return String(Substring(path)) }
        return String(Substring(path[path.index(after: slash)...]))
    }

    /// Before the last "/", trailing slashes ignored (as `NSString.deletingLastPathComponent`, but
    /// split at every "/"): empty for a bare name, "/" for a name at the root. The scanner asks it
    /// of every file.
    var directoryPath: String {
        let path = withoutTrailingSlashes
        guard let slash = path.lastIndex(of: Self.slash) else { return "" }
        var directory = path[..<slash]
        while directory.last == Self.slash { directory = directory.dropLast() }
        return directory.isEmpty ? "/" : String(Substring(directory))
    }

    private static let slash = UInt8(ascii: "/")

    /// The UTF-8 view: no grapheme breaking, and a "/" splits a path wherever the file system
    /// splits it (also before a combining mark, which NSString on Linux joins to the "/").
    private var withoutTrailingSlashes: Substring.UTF8View {
        var path = Substring(self).utf8
        while path.count > 1, path.last == Self.slash { path = path.dropLast() }
        return path
    }

    /// What follows the file name's last "." (as `NSString.pathExtension`): empty for none, for a
    /// name that only starts with a dot, and for a name ending in one.
    var fileExtension: String {
        let name = fileName
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return "" }
        return String(name[name.index(after: dot)...])
    }
}

import Foundation
import Testing

@testable import CadenzaServer

/// Subsonic's `suffix`, `contentType` and `path` come from these: they must say what NSString said.
@Suite struct FilePathTests {
    @Test func fileNameAndExtensionAgreeWithNSString() {
        let paths = [
            "/music/Artist/Album/01 Song.flac", "/music/a.b/c", "/music/track.MP3", "relative/x.tar.gz", "/music/.hidden",
            "/music/dir/", "/music/dir//", "/", "", "name", "name.", "/x/y/z.opus", "/ünïcode/Ça va.ogg", "/music/a..b",
        ]
        for path in paths {
            #expect(path.fileName == (path as NSString).lastPathComponent, "\(path)")
            #expect(path.fileExtension == (path as NSString).pathExtension, "\(path)")
        }
    }
}

import Foundation
import Testing

@testable import CadenzaServer

/// Subsonic's `suffix`, `contentType` and `path`, and the scanner's album folders, come from these:
/// they must say what NSString said.
@Suite struct FilePathTests {
    @Test func fileNameDirectoryAndExtensionAgreeWithNSString() {
        let paths = [
            "/music/Artist/Album/01 Song.flac", "/music/a.b/c", "/music/track.MP3", "relative/x.tar.gz", "/music/.hidden",
            "/music/dir/", "/music/dir//", "/", "", "name", "name.", "/x/y/z.opus", "/ünïcode/Ça va.ogg", "/music/a..b",
            // (Not "a/": Foundation traps on its deletingLastPathComponent.)
            "Artist/Album/CD1/01.mp3", "a//b", "//b", "/a",
        ]
        for path in paths {
            #expect(path.fileName == (path as NSString).lastPathComponent, "\(path)")
            #expect(path.fileExtension == (path as NSString).pathExtension, "\(path)")
            #expect(path.directoryPath == (path as NSString).deletingLastPathComponent, "\(path)")
        }
    }

    /// Where NSString is wrong: on Linux it works on Characters, and a "/" followed by a combining
    /// mark makes one Character with it, so it kept "dir/\u{301}name.mp3" whole. The file system
    /// splits at every "/" byte: that is a file named "\u{301}name.mp3" in "dir".
    @Test func aNameStartingWithACombiningMarkIsSplitAsTheFileSystemDoes() {
        let path = "dir/\u{301}name.mp3"
        #expect(path.fileName == "\u{301}name.mp3")
        #expect(path.directoryPath == "dir")
        #expect(path.fileExtension == "mp3")
    }
}

/// A multi-disc album's "CD1"/"Disc 2" folders make one album with their parent folder (the album
/// key holds the folder, so what this returns must stay the same from release to release).
@Suite struct AlbumDirectoryTests {
    @Test func discFoldersBelongToTheirParent() {
        #expect(CatalogWriter.albumDirectory("Artist/Album/CD1") == "Artist/Album")
        #expect(CatalogWriter.albumDirectory("Artist/Album/Disc 2") == "Artist/Album")
        #expect(CatalogWriter.albumDirectory("Artist/Album/DISK 10") == "Artist/Album")
        #expect(CatalogWriter.albumDirectory("Album/cd 1") == "Album")
        #expect(CatalogWriter.albumDirectory("CD1") == "")
    }

    @Test func otherFoldersAreTheirOwn() {
        for directory in ["Artist/Album", "Artist/Album/Disc", "Artist/Album/CD one", "Artist/Album/Discography", "Artist/CD1 Live", ""] {
            #expect(CatalogWriter.albumDirectory(directory) == directory, "\(directory)")
        }
    }
}

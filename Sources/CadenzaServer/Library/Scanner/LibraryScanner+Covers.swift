import CadenzaTags
import Foundation
import NIOConcurrencyHelpers

extension LibraryScanner {
    /// A cover read and hashed on the reading threads, waiting for the write phase to store it.
    struct Cover: Sendable {
        var data: Data
        var mime: String
        var hash: String
    }

    /// Which covers one batch's reading should also find: for each directory holding new files,
    /// its folder image, or else the picture embedded in its first new file. What this misses (a
    /// picture only in track 7, a batch past its memory budget) the write phase still finds file
    /// by file, as before; here it is only faster, off the serial write path.
    struct CoverPlan: Sendable {
        /// Folder image (relative path) per directory, for directories that have one.
        var folderImages: [String: String] = [:]
        /// Entry indices whose embedded picture to read, when their directory has no image.
        var embeddedFrom: Set<Int> = []

        /// Bytes of covers one batch may hold in memory (a cover may be up to 20 MB).
        static let budget = 64 << 20

        init() {}

        init(entries: [DirectoryWalker.Entry], isNew: (String) -> Bool, images: [String: [String]]) {
            var planned = Set<String>()
            for (index, entry) in entries.enumerated() where entry.problem == nil && isNew(entry.path) {
                let directory = entry.path.directoryPath
                guard planned.insert(directory).inserted else { continue }
                if let image = LibraryScanner.folderImage(for: directory, images: images) {
                    folderImages[directory] = image
                } else {
                    embeddedFrom.insert(index)
                }
            }
        }
    }

    /// The folder image next to a file's directory, or next to its album folder (`CD1/`).
    static func folderImage(for directory: String, images: [String: [String]]) -> String? {
        DirectoryWalker.folderCover(in: directory, images: images)
            ?? DirectoryWalker.folderCover(in: CatalogWriter.albumDirectory(directory), images: images)
    }

    /// What the covers of a batch may still take from the memory budget; shared by the reading threads.
    typealias CoverBudget = NIOLockedValueBox<Int>

    private static func take(_ bytes: Int, from budget: CoverBudget) -> Bool {
        budget.withLockedValue { left in
            guard bytes <= left else { return false }
            left -= bytes
            return true
        }
    }

    /// A cover's bytes checked and hashed, or nil when they are no image or too large.
    static func cover(_ data: Data, budget: CoverBudget) -> Cover? {
        guard data.count > 16, data.count <= ArtworkStore.maxBytes, let mime = ImageSniffer.mime(data), take(data.count, from: budget)
        else { return nil }
        return Cover(data: data, mime: mime, hash: Fingerprint.sha256(data))
    }
}

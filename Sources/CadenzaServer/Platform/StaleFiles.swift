import Foundation

/// Removes what a request or job left behind when its process died (`kill -9` mid-upload, a
/// failed import): entries of a scratch directory untouched for longer than `age`. Blocking.
enum StaleFiles {
    @discardableResult
    static func sweep(_ directory: URL, olderThan age: TimeInterval, where keep: (String) -> Bool = { _ in false }) -> Int {
        let manager = FileManager.default
        guard let names = try? manager.contentsOfDirectory(atPath: directory.path) else { return 0 }
        let cutoff = Date().addingTimeInterval(-age)
        var removed = 0
        for name in names where !keep(name) {
            let url = directory.appendingPathComponent(name)
            guard let modified = (try? manager.attributesOfItem(atPath: url.path))?[.modificationDate] as? Date, modified < cutoff else { continue }
            if (try? manager.removeItem(at: url)) != nil { removed += 1 }
        }
        return removed
    }
}

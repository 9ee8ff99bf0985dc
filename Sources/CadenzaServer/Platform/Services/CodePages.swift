import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Lets go of the program's machine-code pages an idle process has not run lately. Start-up, a
/// scan or a burst of requests runs code all over the binary's 31 MB of it and the Swift
/// libraries' (the kernel maps a file's pages in folios of many pages at a time): 18 MB of the
/// binary's code stayed in an idle server's resident set, most of it never run again. Unmapped
/// here, those pages stay in the page cache (nothing is read from disk again); one that runs
/// again costs a minor fault. Only executable mappings that were never written (no private
/// copy: `Anonymous: 0 kB`) are released, so no page's contents can change.
enum CodePages {
    /// A file of /proc, read to its end. Foundation's `String(contentsOfFile:)` reads a file the
    /// size `stat` gives, and /proc's files say 0: it returned the first 4 KB of `smaps`, the
    /// binary's own mappings, and never the libraries'. At most `limit` bytes.
    static func procFile(_ path: String, limit: Int = 64 << 20) -> String? {
        #if os(Linux)
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { return nil }
            defer { close(fd) }
            var bytes: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 64 << 10)
            while bytes.count < limit {
                let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { break }
                bytes += chunk[..<count]
            }
            return String(decoding: bytes, as: UTF8.self)
        #else
            return nil
        #endif
    }

    static func release() {
        #if os(Linux)
            guard let smaps = procFile("/proc/self/smaps") else { return }
            var mapping: (start: UInt, end: UInt)?
            for line in smaps.split(separator: "\n") {
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                guard let first = fields.first else { continue }
                if !first.hasSuffix(":") {
                    // A mapping's header: `start-end perms offset dev inode path`.
                    mapping = nil
                    let bounds = first.split(separator: "-")
                    guard fields.count >= 6, fields[1] == "r-xp", fields[5].hasPrefix("/"), bounds.count == 2,
                        let start = UInt(bounds[0], radix: 16), let end = UInt(bounds[1], radix: 16), end > start
                    else { continue }
                    mapping = (start, end)
                } else if first == "Anonymous:", let current = mapping {
                    mapping = nil
                    guard fields.count >= 2, fields[1] == "0", let address = UnsafeMutableRawPointer(bitPattern: current.start) else { continue }
                    _ = madvise(address, Int(current.end - current.start), MADV_DONTNEED)
                }
            }
        #endif
    }
}

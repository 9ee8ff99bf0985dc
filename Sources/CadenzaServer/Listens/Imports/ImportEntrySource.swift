import Foundation

/// An import's entries in file order, handed out a batch at a time, so a history of any length
/// never sits in memory whole: JSON Lines files are read a megabyte at a time; a JSON array
/// (at most `ListenImportReader.maxDocumentBytes`) is parsed when its file comes up.
/// Used by one job at a time, from blocking threads (hence unchecked Sendable).
final class ImportEntrySource: @unchecked Sendable {
    /// A line longer than this is skipped as one bad entry (and not kept while it is read past).
    static let maxLineBytes = 1 << 20

    private var files: [URL]
    private var pending: ArraySlice<ImportEntry> = []
    private var reader: FileHandle?
    private var buffer: [UInt8] = []
    /// Where the unread part of `buffer` starts: lines are handed out by moving it, and the read
    /// part is dropped once per chunk (removing each line from the front would copy the rest).
    private var start = 0
    private var overlong = false
    private let now: Int64

    init(files: [URL], now: Int64) {
        self.files = files
        self.now = now
    }

    init(entries: [ImportEntry]) {
        files = []
        pending = entries[...]
        now = 0
    }

    deinit { try? reader?.close() }

    /// Passes over `count` entries (those a killed run already stored).
    func skip(_ count: Int) throws {
        var left = count
        while left > 0 {
            let batch = try next(min(left, 10_000))
            if batch.isEmpty { return }
            left -= batch.count
        }
    }

    /// Up to `count` entries; empty when there are no more.
    func next(_ count: Int) throws -> [ImportEntry] {
        var result: [ImportEntry] = []
        while result.count < count {
            if !pending.isEmpty {
                let take = pending.prefix(count - result.count)
                result += take
                pending = pending.dropFirst(take.count)
                continue
            }
            if reader != nil {
                if let entry = try nextLine() {
                    if let entry { result.append(entry) }
                    continue
                }
                try reader?.close()
                reader = nil
                continue
            }
            guard !files.isEmpty else { break }
            try open(files.removeFirst())
        }
        return result
    }

    private func open(_ file: URL) throws {
        let handle = try FileHandle(forReadingFrom: file)
        let head = try handle.read(upToCount: 64) ?? Data()
        let first = head.first { !($0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09) }
        if first == UInt8(ascii: "[") {
            try handle.close()
            pending = try ListenImportMapping.listenBrainz(try ListenImportReader.document(file), now: now)[...]
        } else {
            buffer = Array(head)
            start = 0
            overlong = false
            reader = handle
        }
    }

    /// The next line's entry: `.some(nil)` for a blank line, nil at the end of the file.
    private func nextLine() throws -> ImportEntry?? {
        while true {
            if let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
                let line = buffer[start..<newline]
                defer { start = newline + 1 }
                if overlong {
                    overlong = false
                    return .some(.skipped("a line is longer than \(Self.maxLineBytes >> 20) MB"))
                }
                return .some(ListenImportMapping.listenBrainzLine(line, now: now))
            }
            guard let chunk = try reader?.read(upToCount: 1 << 20), !chunk.isEmpty else {
                // The last line may have no newline.
                guard start < buffer.count || overlong else { return nil }
                let line = buffer[start...]
                buffer = []
                start = 0
                if overlong {
                    overlong = false
                    return .some(.skipped("a line is longer than \(Self.maxLineBytes >> 20) MB"))
                }
                return .some(ListenImportMapping.listenBrainzLine(line, now: now))
            }
            buffer.removeFirst(start)
            start = 0
            buffer += chunk
            if buffer.count > Self.maxLineBytes, !buffer.contains(UInt8(ascii: "\n")) {
                // Read past the rest of this line without keeping it.
                overlong = true
                buffer = []
            }
        }
    }
}

import Foundation

/// LRC lyrics: `[mm:ss.xx]text` lines (several stamps per line allowed); plain text is unsynced.
/// The text comes from uploaded files, so a stamp is read only when its parts are in range
/// (minutes 0–9999, seconds 0 to under 60, finite): anything else is not a stamp, never a trap.
public enum LRC {
    public struct Line: Sendable, Equatable {
        public var startMs: Int
        public var text: String
        public init(startMs: Int, text: String) {
            self.startMs = startMs
            self.text = text
        }
    }

    public static func parse(_ text: String) -> (synced: Bool, lines: [Line]) {
        var timed: [Line] = []
        var plain: [String] = []
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            var line = Substring(rawLine)
            var stamps: [Int] = []
            while line.hasPrefix("["), let close = line.firstIndex(of: "]") {
                let tag = line[line.index(after: line.startIndex)..<close]
                if let stamp = timestamp(tag) {
                    stamps.append(stamp)
                } else if !stamps.isEmpty {
                    break
                }
                line = line[line.index(after: close)...]
            }
            let content = line.trimmingCharacters(in: .whitespaces)
            if stamps.isEmpty {
                if !content.isEmpty || !plain.isEmpty { plain.append(content) }
            } else {
                for stamp in stamps { timed.append(Line(startMs: stamp, text: content)) }
            }
        }
        if !timed.isEmpty { return (true, timed.sorted { $0.startMs < $1.startMs }) }
        while plain.last?.isEmpty == true { plain.removeLast() }
        return (false, plain.map { Line(startMs: 0, text: $0) })
    }

    /// `mm:ss`, `mm:ss.xx` or `mm:ss.xxx` in milliseconds; nil for metadata tags (`[ar:…]`) and
    /// for anything out of range.
    public static func timestamp(_ tag: Substring) -> Int? {
        let parts = tag.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, (1...4).contains(parts[0].count), parts[0].allSatisfy(\.isASCIIDigit),
            let minutes = Int(parts[0]), (1...10).contains(parts[1].count),
            parts[1].allSatisfy({ $0.isASCIIDigit || $0 == "." }),
            let seconds = Double(parts[1]), seconds.isFinite, seconds >= 0, seconds < 60
        else { return nil }
        return minutes * 60_000 + Int((seconds * 1000).rounded(.down))
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}

import Foundation

/// RFC 9110 byte ranges, checked before Vapor streams the file (which answers 400 where 416 is due).
public enum ByteRange {
    public enum Verdict: Equatable, Sendable {
        /// No Range header, or one to ignore (bad syntax, other units): send the whole file.
        case whole
        /// At least one satisfiable range.
        case satisfiable
        /// Every range starts past the end: 416 with `Content-Range: bytes */size`.
        case unsatisfiable
    }

    public static func check(_ header: String?, size: Int64) -> Verdict {
        guard let header else { return .whole }
        let trimmed = header.trimmingCharacters(in: .whitespaces)
        guard trimmed.lowercased().hasPrefix("bytes=") else { return .whole }
        var anySatisfiable = false
        for spec in trimmed.dropFirst(6).split(separator: ",") {
            let parts = spec.trimmingCharacters(in: .whitespaces).split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2 else { return .whole }
            let first = parts[0].trimmingCharacters(in: .whitespaces), last = parts[1].trimmingCharacters(in: .whitespaces)
            if first.isEmpty {
                guard let suffix = Int64(last), suffix >= 0 else { return .whole }
                if suffix > 0 && size > 0 { anySatisfiable = true }
            } else {
                guard let start = Int64(first), start >= 0 else { return .whole }
                if !last.isEmpty {
                    guard let end = Int64(last), end >= start else { return .whole }
                }
                if start < size { anySatisfiable = true }
            }
        }
        return anySatisfiable ? .satisfiable : .unsatisfiable
    }
}

import Foundation
import Logging
import NIOConcurrencyHelpers

/// How log lines are written.
public enum LogFormat: String, Sendable {
    case text, json
}

/// One JSON object per line on standard error, for a log collector (Loki, Elasticsearch,
/// journald's JSON export): `ts`, `level`, `logger`, `msg`, then every metadata key as a field
/// (nested metadata stays nested), and `error` when the event carries one.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let write: @Sendable (String) -> Void

    public init(
        label: String, metadataProvider: Logger.MetadataProvider? = nil, write: @escaping @Sendable (String) -> Void = JSONLogHandler.standardError
    ) {
        self.label = label
        self.metadataProvider = metadataProvider
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields = metadata
        if let provided = metadataProvider?.get() { fields.merge(provided) { _, new in new } }
        if let own = event.metadata { fields.merge(own) { _, new in new } }
        var line = "{\"ts\":" + Self.quoted(Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(Date()))
        line += ",\"level\":" + Self.quoted(event.level.rawValue)
        line += ",\"logger\":" + Self.quoted(label)
        line += ",\"msg\":" + Self.quoted(event.message.description)
        if let error = event.error { line += ",\"error\":" + Self.quoted(String(describing: error)) }
        for key in fields.keys.sorted() where !["ts", "level", "logger", "msg", "error"].contains(key) {
            if let value = fields[key] { line += "," + Self.quoted(key) + ":" + Self.json(value) }
        }
        write(line + "}\n")
    }

    static func json(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let text): return quoted(text)
        case .stringConvertible(let value):
            // Counts and durations stay numbers, so a collector can sum and compare them.
            if value is any BinaryInteger { return value.description }
            if let number = value as? Double, number.isFinite { return value.description }
            return quoted(value.description)
        case .array(let values): return "[" + values.map(json).joined(separator: ",") + "]"
        case .dictionary(let entries):
            return "{" + entries.keys.sorted().compactMap { key in entries[key].map { quoted(key) + ":" + json($0) } }.joined(separator: ",") + "}"
        }
    }

    /// A JSON string literal (RFC 8259: quote, backslash and control characters escaped).
    static func quoted(_ text: String) -> String {
        var out = "\""
        out.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                out += "\\u00" + String(scalar.value, radix: 16).leftPadded(to: 2)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    private static let lock = NIOLock()

    /// Whole lines, one writer at a time, so lines from several threads never interleave.
    public static let standardError: @Sendable (String) -> Void = { line in
        lock.withLock {
            var line = line
            line.withUTF8 { bytes in
                var rest = UnsafeRawBufferPointer(bytes)
                while !rest.isEmpty {
                    let written = Foundation.write(2, rest.baseAddress, rest.count)
                    if written <= 0 { break }
                    rest = UnsafeRawBufferPointer(rebasing: rest[written...])
                }
            }
        }
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

/// Chooses how this process writes logs; once per process, before the first logger is made.
public enum CadenzaLogging {
    private static let done = NIOLockedValueBox(false)

    /// `traced`: log lines also name the current span's trace and span ids (with tracing on).
    public static func bootstrap(_ format: LogFormat, traced: Bool = false) {
        guard format == .json || traced else { return }
        let first = done.withLockedValue { done -> Bool in
            defer { done = true }
            return !done
        }
        guard first else { return }
        let provider = traced ? CadenzaTracing.loggingMetadataProvider : nil
        switch format {
        case .json:
            LoggingSystem.bootstrap({ label, provider in JSONLogHandler(label: label, metadataProvider: provider) }, metadataProvider: provider)
        case .text:
            LoggingSystem.bootstrap(
                { label, provider in StreamLogHandler.standardError(label: label, metadataProvider: provider) }, metadataProvider: provider)
        }
    }
}

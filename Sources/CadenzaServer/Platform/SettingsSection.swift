import Foundation

/// A feature's own settings: read from the same places as the platform's (flags, environment,
/// the config file), with the same rules, and checked at start with them, every problem listed
/// at once. A feature lists its sections in `Feature.settingsSections`.
public protocol SettingsSection: Sendable {
    /// The keys the section reads, with what they mean (shown by `cadenza --help`).
    static var keys: [(key: String, help: String)] { get }
    /// Reads the section; problems go to the reader, which reports them all together.
    init(_ reader: SettingsReader)
}

/// Reads `CADENZA_*` values, collecting every problem instead of stopping at the first.
public final class SettingsReader {
    private let values: [String: String]
    public private(set) var problems: [String] = []

    init(values: [String: String]) {
        self.values = values
    }

    /// The trimmed value, or nil when unset or blank.
    public func value(_ key: String) -> String? {
        guard let raw = values[key]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
        return raw
    }

    public func problem(_ text: String) {
        problems.append(text)
    }

    public func number<T: LosslessStringConvertible & Comparable>(_ key: String, default def: T, in range: ClosedRange<T>) -> T {
        guard let raw = value(key) else { return def }
        guard let parsed = T(raw), range.contains(parsed) else {
            problems.append("\(key)=\(raw): expected a number in \(range.lowerBound)...\(range.upperBound)")
            return def
        }
        return parsed
    }

    public func bool(_ key: String, default def: Bool) -> Bool {
        guard let raw = value(key)?.lowercased() else { return def }
        switch raw {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default:
            problems.append("\(key)=\(raw): expected true or false")
            return def
        }
    }

    /// One of `choices` (case-insensitive), or the default.
    public func choice(_ key: String, _ choices: [String], default def: String) -> String {
        guard let raw = value(key)?.lowercased() else { return def }
        guard choices.contains(raw) else {
            problems.append("\(key)=\(raw): expected \(choices.joined(separator: " or "))")
            return def
        }
        return raw
    }
}

extension Settings {
    /// A feature's settings section, read when the settings were loaded (or now, for settings
    /// loaded without it; then a problem throws).
    public func section<S: SettingsSection>(_ type: S.Type) throws -> S {
        if let section = sections[ObjectIdentifier(type)] as? S { return section }
        let reader = SettingsReader(values: raw)
        let section = S(reader)
        if !reader.problems.isEmpty { throw SettingsError(problems: reader.problems) }
        return section
    }

    /// Reads `types` into these settings, so that later reads need no parsing.
    mutating func include(_ types: [any SettingsSection.Type]) throws {
        let reader = SettingsReader(values: raw)
        for type in types { sections[ObjectIdentifier(type)] = type.init(reader) }
        if !reader.problems.isEmpty { throw SettingsError(problems: reader.problems) }
    }
}

/// A query string's (or url-encoded form's) parameters with typed readers. Repeated names
/// (`id=1&id=2`) keep every value. Every number read is bounded by a range the caller names,
/// so no value from a URL reaches arithmetic, a conversion or an allocation unchecked.
public struct QueryParameters: Sendable, Equatable {
    public var values: [String: [String]] = [:]

    public init() {}

    public init(_ text: String) { Self.parse(text, into: &values) }

    /// Every value of a name is kept; what does not decode is taken as written.
    public static func parse(_ text: String, into values: inout [String: [String]]) {
        for (rawName, rawValue) in FormURLEncoded.pairs(text) {
            let key = FormURLEncoded.decode(rawName) ?? String(rawName)
            guard !key.isEmpty else { continue }
            values[key, default: []].append(rawValue.map { FormURLEncoded.decode($0) ?? String($0) } ?? "")
        }
    }

    public func string(_ key: String) -> String? { values[key]?.first }
    public func all(_ key: String) -> [String] { values[key] ?? [] }

    /// Every value of a repeatable parameter, at most `limit` of them: one request cannot name
    /// an unbounded number of items (each costs work in the transaction that handles it).
    public func all(_ key: String, limit: Int) throws(ParameterError) -> [String] {
        let found = all(key)
        guard found.count <= limit else { throw .invalid("At most \(limit) values of \(key) are accepted in one request.") }
        return found
    }

    public func require(_ key: String) throws(ParameterError) -> String {
        guard let value = string(key), !value.isEmpty else { throw .missing(key) }
        return value
    }

    /// An integer in `range`; absent → `default`; malformed or out of range → an error.
    /// The range is required: there is no unbounded reader.
    public func int(_ key: String, default value: Int, range: ClosedRange<Int>) throws(ParameterError) -> Int {
        try optionalInt(key, range: range) ?? value
    }

    /// A page size: negative or malformed → an error; above `max` → `max` (a client asking for
    /// more gets a full page rather than an error).
    public func count(_ key: String, default value: Int, max: Int) throws(ParameterError) -> Int {
        Swift.min(try int(key, default: value, range: 0...Int.max), max)
    }

    public func optionalInt(_ key: String, range: ClosedRange<Int>) throws(ParameterError) -> Int? {
        guard let raw = string(key), !raw.isEmpty else { return nil }
        guard let parsed = Int(raw) else { throw .invalid("Parameter \(key) must be a whole number.") }
        guard range.contains(parsed) else {
            throw .invalid("Parameter \(key) must be between \(range.lowerBound) and \(range.upperBound).")
        }
        return parsed
    }

    /// A calendar year (`fromYear`, `toYear`).
    public func year(_ key: String) throws(ParameterError) -> Int? {
        try optionalInt(key, range: Self.years)
    }

    public static let years = 0...9999

    /// A moment as Unix milliseconds, between 1970 and the year 9999: what ISO 8601 dates in a
    /// response can show.
    public func millis(_ key: String) throws(ParameterError) -> Int64? {
        try optionalInt(key, range: 0...Self.maxMillis).map(Int64.init)
    }

    public static let maxMillis = 253_402_300_799_999

    public func bool(_ key: String, default value: Bool) -> Bool {
        guard let raw = string(key)?.lowercased() else { return value }
        return raw == "true" || raw == "1"
    }
}

/// Why a parameter was refused; each protocol answers it in its own error format.
public enum ParameterError: Error, Sendable, Equatable {
    case missing(String)
    case invalid(String)
}

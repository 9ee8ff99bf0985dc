import Foundation
import SQLKit
import Vapor

/// Subsonic parameters from the query string and, for POST (OpenSubsonic `formPost`), the
/// form body; repeated keys (`id=1&id=2`) keep every value.
struct SubsonicParams: Sendable {
    var values: [String: [String]] = [:]

    init(_ req: Request) {
        if let query = req.url.query { Self.parse(query, into: &values) }
        if req.method == .POST, let body = req.body.string,
            req.headers.contentType == nil || req.headers.contentType == .urlEncodedForm
        {
            Self.parse(body, into: &values)
        }
    }

    /// Every value of a name is kept; what does not decode is taken as written.
    static func parse(_ text: String, into values: inout [String: [String]]) {
        for (rawName, rawValue) in FormURLEncoded.pairs(text) {
            let key = FormURLEncoded.decode(rawName) ?? String(rawName)
            guard !key.isEmpty else { continue }
            values[key, default: []].append(rawValue.map { FormURLEncoded.decode($0) ?? String($0) } ?? "")
        }
    }

    func string(_ key: String) -> String? { values[key]?.first }
    func all(_ key: String) -> [String] { values[key] ?? [] }

    /// Every value of a repeatable parameter, at most `limit` of them: one request cannot name
    /// an unbounded number of items (each costs work in the transaction that handles it).
    func all(_ key: String, limit: Int) throws -> [String] {
        let found = all(key)
        guard found.count <= limit else { throw SubsonicError.invalid("At most \(limit) values of \(key) are accepted in one request.") }
        return found
    }

    func require(_ key: String) throws -> String {
        guard let value = string(key), !value.isEmpty else { throw SubsonicError.missing(key) }
        return value
    }

    /// An integer in `range`; absent → `default`; malformed or out of range → error 0, never a crash.
    /// The range is required: every number a client sends is bounded before it meets arithmetic,
    /// a conversion or an allocation.
    func int(_ key: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        try optionalInt(key, range: range) ?? value
    }

    /// A page size: negative or malformed → error 0; above `max` → `max` (the spec sets no limit,
    /// so a client asking for more gets a full page rather than an error).
    func count(_ key: String, default value: Int, max: Int) throws -> Int {
        min(try int(key, default: value, range: 0...Int.max), max)
    }

    func optionalInt(_ key: String, range: ClosedRange<Int>) throws -> Int? {
        guard let raw = string(key), !raw.isEmpty else { return nil }
        guard let parsed = Int(raw) else { throw SubsonicError.invalid("Parameter \(key) must be a whole number.") }
        guard range.contains(parsed) else {
            throw SubsonicError.invalid("Parameter \(key) must be between \(range.lowerBound) and \(range.upperBound).")
        }
        return parsed
    }

    /// A library id (`musicFolderId`): positive, within what the database stores.
    func libraryID() throws -> Int64? {
        try optionalInt("musicFolderId", range: 1...Int(Int32.max)).map(Int64.init)
    }

    /// A calendar year (`fromYear`, `toYear`).
    func year(_ key: String) throws -> Int? {
        try optionalInt(key, range: SubsonicParams.years)
    }

    static let years = 0...9999

    /// A moment as Unix milliseconds, between 1970 and the year 9999: what the response's
    /// ISO 8601 dates can show (`expires`).
    func millis(_ key: String) throws -> Int64? {
        try optionalInt(key, range: 0...Self.maxMillis).map(Int64.init)
    }

    static let maxMillis = 253_402_300_799_999

    func bool(_ key: String, default value: Bool) -> Bool {
        guard let raw = string(key)?.lowercased() else { return value }
        return raw == "true" || raw == "1"
    }
}

/// The response format a client asked for.
enum SubsonicFormat: Sendable {
    case xml
    case json
    case jsonp(callback: String)

    init(_ params: SubsonicParams) throws {
        switch params.string("f")?.lowercased() {
        case "json": self = .json
        case "jsonp":
            guard let callback = params.string("callback"),
                callback.range(of: #"^[A-Za-z_$][A-Za-z0-9_$.]{0,63}$"#, options: .regularExpression) != nil
            else {
                self = .json
                throw SubsonicError.missing("callback")
            }
            self = .jsonp(callback: callback)
        default: self = .xml
        }
    }
}

/// What a handler gets for one request.
struct SubsonicContext: Sendable {
    let req: Request
    let params: SubsonicParams
    let user: Principal
    /// The libraries this user may see: every query is limited to them.
    let visible: [Int64]
    /// The catalog version read with the credentials: what every cached catalog read is checked against.
    let catalogVersion: String
    /// The user's annotations version, when it was read with the credentials.
    let annotationsVersion: Int64?

    var db: any SQLDatabase { req.sql }
    var app: Application { req.application }

    /// Stars, ratings and plays of these items: from the user's cached maps when the annotations
    /// version is known (album play counts also follow the catalog), else in one statement.
    func annotations(_ items: [(type: String, ids: [Int64])]) async throws -> [String: [Int64: Annotation]] {
        guard let annotationsVersion else { return try await Annotations.load(userID: user.userID, items, on: db) }
        var result: [String: [Int64: Annotation]] = [:]
        for (type, ids) in items where !ids.isEmpty && Annotations.kinds.contains(type) {
            let userID = user.userID, db = self.db
            result[type] = try await app.catalogItemCache.value("notes:\(userID):\(type)", version: "\(annotationsVersion):\(catalogVersion)") {
                try await Annotations.all(userID: userID, type: type, on: db)
            }
        }
        return result
    }
}

/// What a handler produces: elements to put in the envelope, or a response of its own (media).
enum SubsonicResult: Sendable {
    case ok([SubsonicNode])
    case response(Response)

    static let empty = SubsonicResult.ok([])
    static func node(_ node: SubsonicNode) -> SubsonicResult { .ok([node]) }
}

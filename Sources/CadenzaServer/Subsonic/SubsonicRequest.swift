import Foundation
import SQLKit
import Vapor

/// Subsonic parameters: the query string and, for POST (OpenSubsonic `formPost`), the form body.
/// The typed readers live in CadenzaFormats (fuzzed there); their errors become error 10 or 0.
typealias SubsonicParams = QueryParameters

extension QueryParameters {
    init(_ req: Request) {
        self.init()
        if let query = req.url.query { Self.parse(query, into: &values) }
        if req.method == .POST, let body = req.body.string,
            req.headers.contentType == nil || req.headers.contentType == .urlEncodedForm
        {
            Self.parse(body, into: &values)
        }
    }

    /// A library id (`musicFolderId`): positive, within what the database stores.
    func libraryID() throws(ParameterError) -> Int64? {
        try optionalInt("musicFolderId", range: 1...Int(Int32.max)).map(Int64.init)
    }
}

extension SubsonicError {
    init(_ error: ParameterError) {
        switch error {
        case .missing(let name): self = .missing(name)
        case .invalid(let message): self = .invalid(message)
        }
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

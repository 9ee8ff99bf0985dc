import Foundation
import Vapor

/// One Last.fm response element, rendered as `<lfm status="ok">` XML or as Last.fm's JSON
/// (attributes of a container under `@attr`, a leaf with attributes as `{"#text": …}`).
struct LastFMNode: Sendable {
    var name: String
    var attributes: [(String, String)] = []
    var text: String?
    var children: [LastFMNode] = []
    /// Children rendered as a JSON array even when there is only one.
    var listNames: Set<String> = []

    init(
        _ name: String, _ attributes: [(String, String)] = [], text: String? = nil, children: [LastFMNode] = [],
        lists: Set<String> = []
    ) {
        self.name = name
        self.attributes = attributes
        self.text = text
        self.children = children
        self.listNames = lists
    }

    func xml(into out: inout String) {
        out += "<\(name)"
        for (key, value) in attributes { out += " \(key)=\"\(Self.escape(value))\"" }
        if text == nil && children.isEmpty { out += "/>"; return }
        out += ">"
        if let text { out += Self.escape(text) }
        for child in children { child.xml(into: &out) }
        out += "</\(name)>"
    }

    func json() -> JSONValue {
        if children.isEmpty {
            if attributes.isEmpty { return .string(text ?? "") }
            var object: [String: JSONValue] = ["#text": .string(text ?? "")]
            for (key, value) in attributes { object[key] = .string(value) }
            return .object(object)
        }
        var object: [String: JSONValue] = [:]
        if !attributes.isEmpty {
            object["@attr"] = .object(Dictionary(attributes.map { ($0.0, JSONValue.string($0.1)) }, uniquingKeysWith: { $1 }))
        }
        var order: [String] = []
        var grouped: [String: [JSONValue]] = [:]
        for child in children {
            if grouped[child.name] == nil { order.append(child.name) }
            grouped[child.name, default: []].append(child.json())
        }
        for name in order {
            guard let values = grouped[name] else { continue }
            object[name] = values.count == 1 && !listNames.contains(name) ? values[0] : .array(values)
        }
        for name in listNames where grouped[name] == nil { object[name] = .array([]) }
        return .object(object)
    }

    static func escape(_ text: String) -> String {
        XMLText.escape(text)
    }
}

/// A Last.fm API error: HTTP 200 with `<lfm status="failed"><error code="N">`, as the
/// scrobblers written against Last.fm (and ListenBrainz's proxy) expect.
struct LastFMError: Error {
    var code: Int
    var message: String

    static let invalidService = LastFMError(code: 2, message: "Invalid service - This service does not exist")
    static let invalidMethod = LastFMError(code: 3, message: "Invalid Method - No method with that name in this package")
    static let authenticationFailed = LastFMError(code: 4, message: "Authentication Failed - You do not have permissions to access the service")
    static let invalidParameters = LastFMError(code: 6, message: "Invalid parameters - Your request is missing a required parameter")
    static let operationFailed = LastFMError(code: 8, message: "Operation failed - Something else went wrong")
    static let invalidSession = LastFMError(code: 9, message: "Invalid session key - Please re-authenticate")
    static let invalidAPIKey = LastFMError(code: 10, message: "Invalid API key - You must be granted a valid key by last.fm")
    static let invalidSignature = LastFMError(code: 13, message: "Invalid method signature supplied")
    static let unauthorizedToken = LastFMError(code: 14, message: "Unauthorized Token - This token has not been authorized")
    static let tokenExpired = LastFMError(code: 15, message: "This token has expired")
    static let rateLimited = LastFMError(code: 29, message: "Rate Limit Exceeded - Your IP has made too many requests in a short period")

    static func parameters(_ detail: String) -> LastFMError {
        LastFMError(code: 6, message: "Invalid parameters - \(detail)")
    }
}

enum LastFMResponse {
    static func ok(_ node: LastFMNode?, json: Bool) -> Response {
        if json {
            var object: [String: JSONValue] = [:]
            if let node { object[node.name] = node.json() }
            return ListenBrainzMiddleware.jsonResponse(JSONValue.object(object))
        }
        var out = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<lfm status=\"ok\">"
        node?.xml(into: &out)
        out += "</lfm>\n"
        return text(out, type: HTTPMediaType(type: "text", subType: "xml", parameters: ["charset": "utf-8"]))
    }

    static func error(_ error: LastFMError, json: Bool) -> Response {
        if json {
            return ListenBrainzMiddleware.jsonResponse(JSONValue.object(["error": .number(Double(error.code)), "message": .string(error.message)]))
        }
        let body =
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<lfm status=\"failed\"><error code=\"\(error.code)\">"
            + LastFMNode.escape(error.message) + "</error></lfm>\n"
        return text(body, type: HTTPMediaType(type: "text", subType: "xml", parameters: ["charset": "utf-8"]))
    }

    static func text(_ body: String, type: HTTPMediaType = .plainText) -> Response {
        let response = Response(status: .ok, body: .init(string: body))
        response.headers.contentType = type
        return response
    }
}

/// Request parameters of the form-based legacy protocols: the query string and an urlencoded
/// body merged (pylast puts `username` in the query and signs it with the body).
enum FormParams {
    struct TooLarge: Error {}

    /// Reads a streamed body up to `maxBytes`; larger bodies throw ``TooLarge`` so each
    /// protocol can answer in its own error format.
    static func parse(_ req: Request, maxBytes: Int) async throws -> [String: String] {
        var params: [String: String] = [:]
        if let query = req.url.query { merge(query, into: &params) }
        let body: ByteBuffer?
        do {
            body = try await req.body.collect(max: maxBytes).get()
        } catch {
            throw TooLarge()
        }
        if let body, body.readableBytes > 0 {
            merge(String(decoding: body.readableBytesView, as: UTF8.self), into: &params)
        }
        return params
    }

    /// The last value of a name wins; a name that does not decode is dropped, a value becomes "".
    static func merge(_ text: String, into params: inout [String: String]) {
        for (rawName, rawValue) in FormURLEncoded.pairs(text) {
            guard let name = FormURLEncoded.decode(rawName), !name.isEmpty else { continue }
            params[name] = rawValue.map { FormURLEncoded.decode($0) ?? "" } ?? ""
        }
    }
}

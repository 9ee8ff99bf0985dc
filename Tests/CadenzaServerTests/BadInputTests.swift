@testable import CadenzaServer
import Foundation
import Testing
import Vapor
import VaporTesting

@Suite struct BadInputTests {
    struct Case: Sendable, CustomStringConvertible {
        var method: HTTPMethod
        var path: String
        var body: String?
        var status: HTTPResponseStatus
        var extraHeaders: [(String, String)] = []
        var description: String { "\(method) \(path) \(body ?? "")" }
    }

    static let cases: [Case] = [
        Case(method: .POST, path: "api/v1/auth/login", body: "{not json", status: .badRequest),
        Case(method: .POST, path: "api/v1/auth/login", body: "", status: .badRequest),
        Case(method: .POST, path: "api/v1/auth/login", body: #"{"username":1,"password":"x"}"#, status: .badRequest),
        Case(method: .POST, path: "api/v1/auth/login", body: #"{"username":"ann"}"#, status: .badRequest),
        Case(method: .POST, path: "api/v1/auth/login", body: "[]", status: .badRequest),
        Case(
            method: .POST, path: "api/v1/auth/login", body: #"{"username":"root","password":"password123"}"#, status: .unsupportedMediaType,
            extraHeaders: [("Content-Type", "text/plain")]),
        Case(method: .POST, path: "api/v1/setup", body: #"{"token":"t","username":"a b","password":"password1"}"#, status: .unprocessableEntity),
        Case(method: .POST, path: "api/v1/setup", body: #"{"token":"t","username":"ann","password":"short"}"#, status: .unprocessableEntity),
        Case(method: .POST, path: "api/v1/tokens", body: #"{"name":""}"#, status: .unprocessableEntity),
        Case(method: .POST, path: "api/v1/tokens", body: #"{"name":"x","expiresInDays":-4}"#, status: .unprocessableEntity),
        Case(method: .POST, path: "api/v1/tokens", body: #"{"name":null}"#, status: .badRequest),
        Case(method: .DELETE, path: "api/v1/tokens/abc", body: nil, status: .notFound),
        Case(method: .DELETE, path: "api/v1/tokens/99999999999999999999", body: nil, status: .notFound),
        Case(method: .GET, path: "api/v1/users/-1", body: nil, status: .notFound),
        Case(method: .GET, path: "api/v1/users/424242", body: nil, status: .notFound),
        Case(method: .PATCH, path: "api/v1/users/1", body: #"{"role":"emperor"}"#, status: .badRequest),
        Case(method: .POST, path: "api/v1/users", body: #"{"username":"x","password":"p"}"#, status: .unprocessableEntity),
        Case(method: .GET, path: "api/v1/jobs?state=exploded", body: nil, status: .badRequest),
        Case(method: .GET, path: "api/v1/jobs?limit=0", body: nil, status: .badRequest),
        Case(method: .GET, path: "api/v1/jobs?limit=abc", body: nil, status: .badRequest),
        Case(method: .GET, path: "api/v1/jobs/xyz", body: nil, status: .notFound),
        Case(method: .POST, path: "api/v1/jobs/77777/retry", body: nil, status: .notFound),
        Case(method: .POST, path: "api/v1/jobs/ping", body: #"{"count":1000000}"#, status: .unprocessableEntity),
        Case(method: .POST, path: "api/v1/jobs/ping", body: #"{"count":"many"}"#, status: .badRequest),
        Case(method: .GET, path: "api/v1/events", body: nil, status: .badRequest, extraHeaders: [("Last-Event-ID", "yesterday")]),
        Case(method: .GET, path: "api/v1/no-such-thing", body: nil, status: .notFound),
        Case(method: .PUT, path: "api/v1/me/password", body: #"{"currentPassword":"wrong-one","newPassword":"password456"}"#, status: .forbidden),
        Case(method: .PUT, path: "api/v1/me/password", body: #"{"currentPassword":"password123","newPassword":"x"}"#, status: .unprocessableEntity),
    ]

    @Test(arguments: cases)
    func malformedRequestsGetAJSONErrorAndA4xx(_ c: Case) async throws {
        try await withApp(roles: [.api]) { app in
            let (_, token) = try await app.makeUser("root", role: .admin)
            var headers = HTTPHeaders.bearer(token)
            if c.path.hasPrefix("api/v1/auth") || c.path.hasPrefix("api/v1/setup") {
                headers.remove(name: .authorization)
                headers.contentType = .json  // session-starting calls take JSON only (see `decodeJSONBody`)
            }
            for (name, value) in c.extraHeaders { headers.replaceOrAdd(name: name, value: value) }
            try await app.testing().test(c.method, c.path, headers: headers, body: c.body.map { ByteBuffer(string: $0) }) { res async throws in
                #expect(res.status == c.status, "\(c)")
                let error = try res.content.decode(ErrorBody.self)
                #expect(!error.error.message.isEmpty)
                #expect(res.headers.contentType == .json)
            }
        }
    }

    @Test func oversizedBodiesAre413InTheErrorFormat() async throws {
        try await withApp(settings: ["CADENZA_MAX_BODY_BYTES": "2048"]) { app in
            let huge = #"{"username":""# + String(repeating: "a", count: 10_000) + #"","password":"x"}"#
            try await app.testing(method: .running(port: 0)).test(
                .POST, "/api/v1/auth/login",
                headers: ["Content-Type": "application/json"],
                body: ByteBuffer(string: huge)
            ) { res async throws in
                #expect(res.status == .payloadTooLarge)
                #expect(try res.content.decode(ErrorBody.self).error.code == "payload_too_large")
            }
        }
    }
}

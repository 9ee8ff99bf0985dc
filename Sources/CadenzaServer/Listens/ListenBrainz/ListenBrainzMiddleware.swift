import Foundation
import SQLKit
import Vapor

/// Everything under `/1/`: ListenBrainz's rate limit (a fixed window per token, or per IP when
/// anonymous, with the four `X-RateLimit-*` headers on every answer) and its error format
/// `{"code": N, "error": "…"}`.
struct ListenBrainzMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let settings = try request.application.settings.listens
        let limit = settings.rateLimit
        let verdict = try request.application.bufferedRateLimiter.hit(
            await Self.bucket(request), window: settings.rateWindow,
            db: request.application.sql, logger: request.application.logger)
        let resetIn = verdict.retryAfter
        let headers: [(String, String)] = [
            ("X-RateLimit-Limit", String(limit)),
            ("X-RateLimit-Remaining", String(max(0, limit - verdict.count))),
            ("X-RateLimit-Reset-In", String(resetIn)),
            ("X-RateLimit-Reset", String(Clock.nowMillis() / 1000 + Int64(resetIn))),
            ("Access-Control-Expose-Headers", "X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset-In, X-RateLimit-Reset"),
        ]
        let response: Response
        if verdict.count > limit {
            response = Response(
                status: .tooManyRequests,
                body: .init(
                    string:
                        "You have exceeded your rate limit. See the X-RateLimit-* response headers for more information on limits.\n"))
            response.headers.contentType = .plainText
        } else {
            do { response = try await next.respond(to: request) } catch {
                response = Self.response(for: error, request: request)
            }
        }
        for (name, value) in headers { response.headers.replaceOrAdd(name: name, value: value) }
        return response
    }

    /// The token's user when the request carries a valid token, else the client address (so
    /// made-up tokens cannot each get a budget of their own).
    static func bucket(_ request: Request) async -> String {
        if let token = ListenBrainzAuth.token(in: request), !token.isEmpty, token.count <= 256,
            let identity = try? await request.application.tokenCache.identity(token: token, on: request.sql)
        {
            return "lb:u:\(identity.principal.userID)"
        }
        return "lb:ip:" + (request.clientIP)
    }

    static func response(for error: any Error, request: Request) -> Response {
        let status: Int, message: String
        var listen: [String: JSONValue]?
        switch error {
        case let lb as ListenBrainzError:
            (status, message, listen) = (lb.status, lb.message, lb.listen)
        case let abort as any AbortError:
            status = Int(abort.status.code)
            message = status >= 500 ? "An unknown error occured." : abort.reason
        default:
            if let trouble = ServerTrouble(error) {
                request.logger.warning("answered \(trouble.status.code): \(String(describing: error))")
                (status, message) = (Int(trouble.status.code), trouble.message)
            } else {
                request.logger.report(error: error)
                (status, message) = (500, "An unknown error occured.")
            }
        }
        var body = listen ?? [:]
        body["code"] = .number(Double(status))
        body["error"] = .string(message)
        let response = jsonResponse(JSONValue.object(body), status: HTTPResponseStatus(statusCode: status))
        if let trouble = ServerTrouble(error) { response.headers.replaceOrAdd(name: "Retry-After", value: String(trouble.retryAfter)) }
        return response
    }

    static func jsonResponse(_ value: some Encodable, status: HTTPResponseStatus = .ok) -> Response {
        let response = Response(status: status)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        response.body = .init(data: (try? encoder.encode(value)) ?? Data(#"{"code":500,"error":"An unknown error occured."}"#.utf8))
        response.headers.contentType = .json
        return response
    }
}

/// ListenBrainz's `Authorization: Token <token>`; the token is a Cadenza API token.
enum ListenBrainzAuth {
    static func token(in request: Request) -> String? {
        guard let header = request.headers.first(name: .authorization) else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        return parts.count == 2 ? parts[1].trimmingCharacters(in: .whitespaces) : ""
    }

    /// The caller, or 401 with ListenBrainz's messages.
    static func require(_ request: Request) async throws -> (Principal, ListenOwner) {
        guard request.headers.first(name: .authorization) != nil else {
            throw ListenBrainzError.unauthorized("You need to provide an Authorization header.")
        }
        guard let token = token(in: request), !token.isEmpty else {
            throw ListenBrainzError.unauthorized("Provided Authorization header is invalid.")
        }
        guard token.count <= 256, let identity = try await request.application.tokenCache.identity(token: token, on: request.sql),
            Self.allows(identity.principal)
        else {
            throw ListenBrainzError.unauthorized("Invalid authorization token.")
        }
        let principal = identity.principal
        return (
            principal,
            ListenOwner(
                userID: principal.userID, username: principal.username, timeZone: identity.timeZone,
                visibility: identity.visibility)
        )
    }

    /// Full-access and listens-only tokens work here; a Subsonic-only token does not.
    static func allows(_ principal: Principal) -> Bool {
        principal.scope == .full || principal.scope == .listens
    }

    /// The caller when a token or a session cookie names one; reads are open to the anonymous too.
    static func optional(_ request: Request) async throws -> Principal? {
        if request.headers.first(name: .authorization) != nil { return try await require(request).0 }
        if let cookie = request.cookies[SessionStore.cookieName]?.string, cookie.count <= 256 {
            return try await SessionStore.principal(forCookie: cookie, on: request.sql)
        }
        return nil
    }

    /// The user named in the path, when the caller may read their listens; else the same 404 an
    /// unknown name gets, so private accounts are not revealed.
    static func readable(_ request: Request, viewer: Principal?) async throws -> ListenOwner {
        let name = request.parameters.get("user") ?? ""
        guard let owner = try await ListenOwner.load(username: name, on: request.sql),
            ListenAccess.canRead(owner, viewer: viewer)
        else {
            throw ListenBrainzError.notFound("Cannot find user: \(name)")
        }
        return owner
    }
}

import Vapor

/// Resolves the caller from `Authorization: Bearer|Token <api token>` or the session cookie, and
/// enforces CSRF on cookie-authenticated unsafe requests.
///
/// A credential that is present but wrong is a 401, not an anonymous request: a client with a
/// revoked token must learn it, not silently see less.
struct AuthMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if let header = request.headers.first(name: .authorization) {
            let parts = header.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, ["bearer", "token"].contains(parts[0].lowercased()) else {
                throw APIError.unauthorized("Unsupported Authorization scheme; use Bearer or Token.")
            }
            let token = parts[1].trimmingCharacters(in: .whitespaces)
            guard token.count <= 256, let principal = try await APITokenStore.principal(forToken: token, on: request.sql) else {
                throw APIError.unauthorized("The API token is invalid, expired or revoked.")
            }
            guard principal.scope == .full else {
                throw APIError(
                    status: .forbidden, code: "insufficient_scope",
                    message: "This token is for the \(principal.scope.rawValue) API only; create a full-access token for this one.")
            }
            request.auth.login(principal)
        } else if let cookie = request.cookies[SessionStore.cookieName]?.string, cookie.count <= 256,
            let principal = try await SessionStore.principal(forCookie: cookie, on: request.sql)
        {
            if case .session(_, let csrfHash) = principal.method, !Self.isSafe(request.method) {
                let sent = request.headers.first(name: SessionStore.csrfHeader) ?? ""
                guard !sent.isEmpty, Secrets.equal(Secrets.hash(sent), csrfHash) else {
                    throw APIError(
                        status: .forbidden, code: "csrf_failed",
                        message: "Missing or wrong \(SessionStore.csrfHeader) header.")
                }
            }
            request.auth.login(principal)
        }
        return try await next.respond(to: request)
    }

    static func isSafe(_ method: HTTPMethod) -> Bool {
        method == .GET || method == .HEAD || method == .OPTIONS
    }
}

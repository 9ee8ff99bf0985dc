import Vapor

/// An error the REST API reports as `{ "error": { "code": ..., "message": ... } }`.
struct APIError: AbortError, Sendable {
    var status: HTTPResponseStatus
    var code: String
    var message: String
    var headers: HTTPHeaders = [:]

    var reason: String { message }

    static func badRequest(_ message: String, code: String = "bad_request") -> APIError {
        .init(status: .badRequest, code: code, message: message)
    }
    static func unauthorized(_ message: String = "Authentication required.") -> APIError {
        .init(status: .unauthorized, code: "unauthorized", message: message)
    }
    static func forbidden(_ message: String = "You are not allowed to do this.") -> APIError {
        .init(status: .forbidden, code: "forbidden", message: message)
    }
    static func notFound(_ what: String) -> APIError {
        .init(status: .notFound, code: "not_found", message: "\(what) not found.")
    }
    static func conflict(_ message: String) -> APIError {
        .init(status: .conflict, code: "conflict", message: message)
    }
    static func unprocessable(_ message: String, code: String = "invalid") -> APIError {
        .init(status: .unprocessableEntity, code: code, message: message)
    }
    static func tooManyRequests(retryAfter seconds: Int) -> APIError {
        .init(
            status: .tooManyRequests, code: "rate_limited",
            message: "Too many attempts; try again in \(seconds) s.",
            headers: ["Retry-After": String(seconds)])
    }
}

/// The JSON error body shared by every `/api` endpoint.
struct APIErrorBody: Content {
    struct Detail: Content {
        var code: String
        var message: String
    }
    var error: Detail
}

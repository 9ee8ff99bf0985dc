import Vapor

/// Turns every thrown error into the API's JSON error format with a fitting status.
///
/// Input problems (undecodable JSON, wrong types, oversized bodies) are 4xx; only genuine
/// server faults become 500, and their details stay in the log, not the response.
struct JSONErrorMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        do {
            return try await next.respond(to: request)
        } catch {
            return Self.response(for: error, request: request)
        }
    }

    static func response(for error: any Error, request: Request) -> Response {
        let (status, code, message, headers) = describe(error)
        if status.code >= 500, ServerTrouble(error) == nil {
            request.logger.report(error: error)
        }
        let body = APIErrorBody(error: .init(code: code, message: message))
        if status.code >= 500, ServerTrouble(error) != nil {
            request.logger.warning("answered \(status.code): \(String(describing: error))")
        }
        let response = Response(status: status, headers: headers)
        do {
            try response.content.encode(body, as: .json)
        } catch {
            response.body = .init(string: #"{"error":{"code":"internal","message":"Internal error."}}"#)
            response.headers.contentType = .json
        }
        return response
    }

    static func describe(_ error: any Error) -> (HTTPResponseStatus, String, String, HTTPHeaders) {
        switch error {
        case let api as APIError:
            return (api.status, api.code, api.message, api.headers)
        case let decoding as DecodingError:
            return (.badRequest, "invalid_body", describe(decoding), [:])
        case let abort as any AbortError:
            let code: String
            switch abort.status {
            case .payloadTooLarge: code = "payload_too_large"
            case .notFound: code = "not_found"
            case .unauthorized: code = "unauthorized"
            case .forbidden: code = "forbidden"
            case .unsupportedMediaType: code = "unsupported_media_type"
            case .methodNotAllowed: code = "method_not_allowed"
            case .badRequest: code = "bad_request"
            case .tooManyRequests: code = "rate_limited"
            default: code = abort.status.code >= 500 ? "internal" : "bad_request"
            }
            let message = abort.status.code >= 500 ? "Internal error." : abort.reason
            return (abort.status, code, message, abort.headers)
        default:
            if let trouble = ServerTrouble(error) { return (trouble.status, trouble.code, trouble.message, trouble.headers) }
            return (.internalServerError, "internal", "Internal error.", [:])
        }
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let p = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
            return p.isEmpty ? "body" : "'\(p)'"
        }
        switch error {
        case .typeMismatch(let type, let context): return "\(path(context)) has the wrong type; expected \(type)."
        case .valueNotFound(_, let context): return "\(path(context)) must not be null."
        case .keyNotFound(let key, let context):
            let parent = context.codingPath.map(\.stringValue).joined(separator: ".")
            return "missing field '\(parent.isEmpty ? key.stringValue : parent + "." + key.stringValue)'."
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "The body is not valid JSON." : "\(path(context)) is invalid."
        @unknown default: return "The body could not be read."
        }
    }
}

/// Tags every response with the request id Vapor puts in the logger metadata, so a user's
/// report can be matched to the log lines.
struct RequestIDMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        // With tracing on, a request id nobody chose is the trace id: one id to search logs and traces by.
        let id =
            request.headers.first(name: "X-Request-ID").flatMap { $0.count <= 128 ? $0 : nil } ?? CadenzaTracing.currentTraceID
            ?? request.id
        request.logger[metadataKey: "request-id"] = .string(id)
        let response = try await TraceContext.$id.withValue(id) { try await next.respond(to: request) }
        response.headers.replaceOrAdd(name: "X-Request-ID", value: id)
        return response
    }
}

extension Request {
    /// Decodes a JSON body whatever the Content-Type says, with the API's error format on failure.
    func decodeJSON<T: Decodable>(_ type: T.Type) async throws -> T {
        let buffer = try await body.collect(max: application.settings.maxBodyBytes).get()
        guard let buffer, buffer.readableBytes > 0 else {
            throw APIError.badRequest("A JSON body is required.", code: "invalid_body")
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch let error as DecodingError {
            throw APIError.badRequest(JSONErrorMiddleware.describe(error), code: "invalid_body")
        }
    }

    /// For calls that start a session without one (login, setup, invite sign-up): a cross-site
    /// form can post `text/plain` without a preflight, but never `application/json`.
    func decodeJSONBody<T: Decodable>(_ type: T.Type) async throws -> T {
        guard headers.contentType?.type == "application", headers.contentType?.subType == "json" else {
            throw APIError(status: .unsupportedMediaType, code: "unsupported_media_type", message: "Send the body as application/json.")
        }
        return try await decodeJSON(type)
    }
}

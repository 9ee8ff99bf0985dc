import Foundation
import SQLKit
import Vapor

extension Request {
    /// The request's headers as a signature covers them (lowercased names, values joined).
    var signatureHeaders: [String: String] {
        var values: [String: String] = [:]
        for (name, value) in headers {
            let key = name.lowercased()
            values[key] = values[key].map { "\($0), \(value)" } ?? value
        }
        return values
    }

    /// The remote actor that signed this request, which must be signed. Callers that do not
    /// need to know who asks do not call this: checking a signature fetches the signer's key,
    /// and a peer doing the same for that fetch would make two servers fetch each other forever.
    func federationSigner(body: [UInt8]? = nil) async throws -> RemoteActor {
        let headers = signatureHeaders
        guard SignatureVerifier.header(signature: headers["signature"], authorization: headers["authorization"]) != nil else {
            throw APIError.unauthorized("This request must carry an HTTP signature.")
        }
        let verifier = SignatureVerifier(client: try FederationClient(services: try application.cadenza))
        do {
            return try await verifier.verify(method: method.rawValue, target: url.string, headers: headers, body: body, on: sql)
        } catch let failure as SignatureVerifier.Failure {
            switch failure {
            case .forbidden(let why): throw APIError(status: .forbidden, code: "forbidden", message: why)
            case .unsigned(let why), .invalid(let why): throw APIError(status: .unauthorized, code: "invalid_signature", message: why)
            }
        }
    }
}

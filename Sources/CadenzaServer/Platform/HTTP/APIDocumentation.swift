import Foundation

/// A feature's part of the OpenAPI document of `/api/v1`: its schemas, shared parameters and
/// paths, each one JSON object member (`"Name": {…}`, `"/path": {…}`). The platform joins every
/// feature's part into one document at start and refuses a malformed or duplicated member, so a
/// feature documents its routes in its own folder (a test checks every route is documented).
public struct APIDocumentation: Sendable {
    public var schemas: [String]
    public var parameters: [String]
    public var paths: [String]

    public init(schemas: [String] = [], parameters: [String] = [], paths: [String] = []) {
        self.schemas = schemas
        self.parameters = parameters
        self.paths = paths
    }

    /// The whole document: the platform's frame around every part.
    static func document(_ parts: [APIDocumentation]) throws -> String {
        var problems: [String] = []
        func members(_ items: [String], in section: String) -> String {
            var seen = Set<String>()
            for item in items {
                guard let object = try? JSONSerialization.jsonObject(with: Data("{\(item)}".utf8)) as? [String: Any], object.count == 1,
                    let name = object.keys.first
                else {
                    problems.append("OpenAPI \(section): not one JSON member: \(item.prefix(80))")
                    continue
                }
                if !seen.insert(name).inserted { problems.append("OpenAPI \(section): \(name) is documented twice") }
            }
            return items.joined(separator: ",\n")
        }
        let text = """
            {
              "openapi": "3.0.3",
              "info": { "title": "Cadenza API", "version": "1.0.0",
                "description": "Cadenza's own REST API. Authenticate with `Authorization: Bearer <token>` (personal API token) or the session cookie plus `X-CSRF-Token` on unsafe methods. Errors are `{\\"error\\": {\\"code\\", \\"message\\"}}`." },
              "servers": [ { "url": "/api/v1" } ],
              "components": {
                "securitySchemes": {
                  "bearer": { "type": "http", "scheme": "bearer" },
                  "session": { "type": "apiKey", "in": "cookie", "name": "cadenza_session" }
                },
                "schemas": {
            \(members(parts.flatMap(\.schemas), in: "schemas"))
                },
                "responses": {
                  "Error": { "description": "Error", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } }
                },
                "parameters": {
            \(members(parts.flatMap(\.parameters), in: "parameters"))
                }
              },
              "security": [ { "bearer": [] }, { "session": [] } ],
              "paths": {
            \(members(parts.flatMap(\.paths), in: "paths"))
              }
            }
            """
        if problems.isEmpty, (try? JSONSerialization.jsonObject(with: Data(text.utf8))) == nil {
            problems.append("OpenAPI: the joined document is not JSON")
        }
        if !problems.isEmpty { throw SettingsError(problems: problems) }
        return text
    }
}

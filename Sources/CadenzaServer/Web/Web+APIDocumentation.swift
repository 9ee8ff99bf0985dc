extension WebFeature {
    /// This feature's part of the OpenAPI document of `/api/v1`.
    public var apiDocumentation: APIDocumentation {
        APIDocumentation(
            paths: [
                ##"""
                "/openapi.json": { "get": { "summary": "This document", "security": [], "responses": { "200": { "description": "OpenAPI document" } } } }
                """##,
                ##"""
                "/plays": { "post": { "summary": "The web player reports a track starting (playing now) or played long enough to count (a listen)",
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["trackId", "event"], "properties": { "trackId": { "type": "string" }, "event": { "type": "string", "enum": ["playing", "played"] }, "listenedAt": { "type": "integer", "description": "ms since 1970, within the last 24 hours; a retried report with the same value is stored once" } } } } } },
                "responses": { "204": { "description": "Recorded" }, "404": { "$ref": "#/components/responses/Error" }, "422": { "$ref": "#/components/responses/Error" } } } }
                """##,
            ]
        )
    }
}

extension SubsonicFeature {
    /// This feature's part of the OpenAPI document of `/api/v1`.
    public var apiDocumentation: APIDocumentation {
        APIDocumentation(
            paths: [
                ##"""
                "/me/subsonic-password": {
                "get": { "summary": "Your Subsonic password (for Subsonic apps; separate from the login password)", "responses": { "200": { "description": "The password, or null when none is set" }, "401": { "$ref": "#/components/responses/Error" } } },
                "put": { "summary": "Set (or, without a body, generate) your Subsonic password",
                  "requestBody": { "content": { "application/json": { "schema": { "type": "object", "properties": { "password": { "type": "string" } } } } } },
                  "responses": { "200": { "description": "The new password" }, "422": { "$ref": "#/components/responses/Error" } } } }
                """##
            ]
        )
    }
}

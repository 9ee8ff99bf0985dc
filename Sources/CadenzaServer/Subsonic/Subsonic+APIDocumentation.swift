extension SubsonicFeature {
    /// This feature's part of the OpenAPI document of `/api/v1`.
    public var apiDocumentation: APIDocumentation {
        APIDocumentation(
            paths: [
                ##"""
                "/me/subsonic-password": {
                "get": { "summary": "Whether you have an app password (for Subsonic apps, Last.fm and AudioScrobbler clients)", "responses": { "200": { "description": "{set}", "content": { "application/json": { "schema": { "type": "object", "properties": { "set": { "type": "boolean" } } } } } }, "401": { "$ref": "#/components/responses/Error" } } },
                "put": { "summary": "Set (or, without password, generate) your app password; needs the account password",
                  "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["currentPassword"], "properties": { "currentPassword": { "type": "string" }, "password": { "type": "string", "minLength": 8, "maxLength": 256 } } } } } },
                  "responses": { "200": { "description": "{password}" }, "403": { "$ref": "#/components/responses/Error" }, "422": { "$ref": "#/components/responses/Error" } } } }
                """##,
                ##"""
                "/me/subsonic-password/reveal": { "post": { "summary": "Show your app password; needs the account password",
                  "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["currentPassword"], "properties": { "currentPassword": { "type": "string" } } } } } },
                  "responses": { "200": { "description": "{password}" }, "403": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" } } } }
                """##,
            ]
        )
    }
}

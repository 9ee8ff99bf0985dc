extension AccountsFeature {
    /// This feature's part of the OpenAPI document of `/api/v1`.
    public var apiDocumentation: APIDocumentation {
        APIDocumentation(
            schemas: [
                ##"""
                "User": { "type": "object", "properties": { "id": { "type": "string" }, "username": { "type": "string" }, "role": { "type": "string", "enum": ["admin", "user"] }, "createdAt": { "type": "string", "format": "date-time" } } }
                """##,
                ##"""
                "Session": { "type": "object", "properties": { "user": { "$ref": "#/components/schemas/User" }, "csrfToken": { "type": "string" } } }
                """##,
                ##"""
                "Token": { "type": "object", "properties": { "id": { "type": "string" }, "name": { "type": "string" }, "prefix": { "type": "string" }, "scope": { "type": "string", "enum": ["full", "listens", "subsonic"] }, "createdAt": { "type": "string", "format": "date-time" }, "lastUsedAt": { "type": "string", "format": "date-time" }, "expiresAt": { "type": "string", "format": "date-time" }, "token": { "type": "string", "description": "only in the creation response" } } }
                """##,
            ],
            paths: [
                ##"""
                "/setup": { "post": { "summary": "Create the first administrator with the one-time setup token", "security": [],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["token", "username", "password"], "properties": { "token": { "type": "string" }, "username": { "type": "string" }, "password": { "type": "string" } } } } } },
                "responses": { "201": { "description": "Created and signed in", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Session" } } } }, "403": { "$ref": "#/components/responses/Error" }, "409": { "$ref": "#/components/responses/Error" }, "422": { "$ref": "#/components/responses/Error" } } } }
                """##,
                ##"""
                "/auth/login": { "post": { "summary": "Sign in; sets the session cookie", "security": [],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["username", "password"], "properties": { "username": { "type": "string" }, "password": { "type": "string" } } } } } },
                "responses": { "200": { "description": "Signed in", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Session" } } } }, "401": { "$ref": "#/components/responses/Error" }, "429": { "$ref": "#/components/responses/Error" } } } }
                """##,
                ##"""
                "/auth/logout": { "post": { "summary": "End the current session", "responses": { "204": { "description": "Signed out" }, "401": { "$ref": "#/components/responses/Error" } } } }
                """##,
                ##"""
                "/me": { "get": { "summary": "The signed-in user", "responses": { "200": { "description": "User", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/User" } } } }, "401": { "$ref": "#/components/responses/Error" } } } }
                """##,
                ##"""
                "/me/password": { "put": { "summary": "Change your password",
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["currentPassword", "newPassword"], "properties": { "currentPassword": { "type": "string" }, "newPassword": { "type": "string" }, "revokeTokens": { "type": "boolean", "description": "Also revoke every API token (default false)" }, "revokeScrobblers": { "type": "boolean", "description": "Also sign out Last.fm and AudioScrobbler sessions (default true)" } } } } } },
                "responses": { "200": { "description": "Changed; every other web session is signed out", "content": { "application/json": { "schema": { "type": "object", "properties": { "signedOutSessions": { "type": "integer" }, "revokedTokens": { "type": "integer" }, "revokedScrobblers": { "type": "boolean" } } } } } }, "403": { "$ref": "#/components/responses/Error" }, "422": { "$ref": "#/components/responses/Error" } } } }
                """##,
                ##"""
                "/tokens": {
                "get": { "summary": "Your API tokens", "responses": { "200": { "description": "Tokens", "content": { "application/json": { "schema": { "type": "array", "items": { "$ref": "#/components/schemas/Token" } } } } } } },
                "post": { "summary": "Create an API token (shown once)",
                  "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["name"], "properties": { "name": { "type": "string" }, "expiresInDays": { "type": "integer" }, "scope": { "type": "string", "enum": ["full", "listens", "subsonic"], "description": "full (default): every API; listens: the ListenBrainz API only; subsonic: the Subsonic API only" } } } } } },
                  "responses": { "201": { "description": "Created", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Token" } } } }, "422": { "$ref": "#/components/responses/Error" }, "429": { "$ref": "#/components/responses/Error" } } } }
                """##,
                ##"""
                "/tokens/{id}": { "delete": { "summary": "Revoke an API token", "parameters": [ { "$ref": "#/components/parameters/id" } ], "responses": { "204": { "description": "Revoked" }, "404": { "$ref": "#/components/responses/Error" } } } }
                """##,
                ##"""
                "/users": {
                "get": { "summary": "All users (admin)", "responses": { "200": { "description": "Users", "content": { "application/json": { "schema": { "type": "array", "items": { "$ref": "#/components/schemas/User" } } } } }, "403": { "$ref": "#/components/responses/Error" } } },
                "post": { "summary": "Create a user (admin)",
                  "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["username", "password"], "properties": { "username": { "type": "string" }, "password": { "type": "string" }, "role": { "type": "string", "enum": ["admin", "user"] } } } } } },
                  "responses": { "201": { "description": "Created", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/User" } } } }, "403": { "$ref": "#/components/responses/Error" }, "409": { "$ref": "#/components/responses/Error" }, "422": { "$ref": "#/components/responses/Error" } } } }
                """##,
                ##"""
                "/users/{id}": {
                "parameters": [ { "$ref": "#/components/parameters/id" } ],
                "get": { "summary": "One user (admin)", "responses": { "200": { "description": "User", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/User" } } } }, "404": { "$ref": "#/components/responses/Error" } } },
                "patch": { "summary": "Change role or password (admin)",
                  "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "properties": { "role": { "type": "string", "enum": ["admin", "user"] }, "password": { "type": "string" } } } } } },
                  "responses": { "200": { "description": "User", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/User" } } } }, "404": { "$ref": "#/components/responses/Error" }, "409": { "$ref": "#/components/responses/Error" } } },
                "delete": { "summary": "Delete a user (admin)", "responses": { "204": { "description": "Deleted" }, "404": { "$ref": "#/components/responses/Error" }, "409": { "$ref": "#/components/responses/Error" } } } }
                """##,
                ##"""
                "/invites": {
                "get": { "summary": "Pending invite links (administrators)", "responses": { "200": { "description": "[{id, role, createdBy, createdAt, expiresAt}]" }, "403": { "$ref": "#/components/responses/Error" } } },
                "post": { "summary": "Create a single-use invite link for a role (administrators); the token and url are shown only here",
                  "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "properties": { "role": { "type": "string", "enum": ["admin", "user"] }, "hours": { "type": "integer", "minimum": 1, "maximum": 720 } } } } } },
                  "responses": { "201": { "description": "{id, role, createdBy, createdAt, expiresAt, token, url}" }, "403": { "$ref": "#/components/responses/Error" }, "422": { "$ref": "#/components/responses/Error" } } } }
                """##,
                ##"""
                "/invites/{id}": { "delete": { "summary": "Revoke a pending invite (administrators)", "parameters": [ { "$ref": "#/components/parameters/id" } ], "responses": { "204": { "description": "Revoked" }, "404": { "$ref": "#/components/responses/Error" } } } }
                """##,
                ##"""
                "/invites/check": { "post": { "summary": "Whether an invite token is still valid, and for which role (no sign-in needed)",
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["token"], "properties": { "token": { "type": "string" } } } } } },
                "responses": { "200": { "description": "{role, expiresAt}" }, "404": { "$ref": "#/components/responses/Error" } } } }
                """##,
                ##"""
                "/invites/accept": { "post": { "summary": "Create your account with an invite token; signs you in",
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["token", "username", "password"], "properties": { "token": { "type": "string" }, "username": { "type": "string" }, "password": { "type": "string" } } } } } },
                "responses": { "201": { "description": "Session", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Session" } } } }, "404": { "$ref": "#/components/responses/Error" }, "409": { "$ref": "#/components/responses/Error" }, "422": { "$ref": "#/components/responses/Error" } } } }
                """##,
            ]
        )
    }
}

extension ListensFeature {
    /// This feature's part of the OpenAPI document of `/api/v1`.
    public var apiDocumentation: APIDocumentation {
        APIDocumentation(
            paths: [
                ##"""
                "/me/listen-settings": {
                "get": { "summary": "Your listens settings: time zone for stats and who may read your listens", "responses": { "200": { "description": "{timeZone, visibility, useForRecommendations}" } } },
                "put": { "summary": "Change time zone (IANA name; stats are rebuilt by a job) or visibility (public, instance, private), or whether your listens may shape others' recommendations",
                  "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "properties": { "timeZone": { "type": "string" }, "visibility": { "type": "string", "enum": ["public", "instance", "private"] }, "useForRecommendations": { "type": "boolean" } } } } } },
                  "responses": { "200": { "description": "The new settings" }, "422": { "$ref": "#/components/responses/Error" } } } }
                """##,
                ##"""
                "/me/feed": { "get": { "summary": "Your listens and those of whom you follow, newest first, and who of you is playing now", "parameters": [{ "name": "count", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 200, "default": 50 } }], "responses": { "200": { "description": "{following: [username], listens: [ListenBrainz listen], playingNow: [ListenBrainz listen]}" } } } }
                """##,
                ##"""
                "/follows": { "get": { "summary": "Users you follow (their listens and playing-now reach your event stream)", "responses": { "200": { "description": "{following: [username]}" } } } }
                """##,
                ##"""
                "/follows/{username}": {
                "put": { "summary": "Follow a user whose listens you may read", "parameters": [ { "name": "username", "in": "path", "required": true, "schema": { "type": "string" } } ], "responses": { "200": { "description": "{following}" }, "404": { "$ref": "#/components/responses/Error" } } },
                "delete": { "summary": "Stop following", "parameters": [ { "name": "username", "in": "path", "required": true, "schema": { "type": "string" } } ], "responses": { "200": { "description": "{following}" } } } }
                """##,
                ##"""
                "/me/listens/imports": {
                "get": { "summary": "Your listen imports, newest first", "responses": { "200": { "description": "Import objects" } } },
                "post": { "summary": "Import a listening history (multipart field file; format listenbrainz, lastfm_csv or maloja, sniffed when absent); run by a job",
                  "parameters": [ { "name": "format", "in": "query", "schema": { "type": "string", "enum": ["listenbrainz", "lastfm_csv", "maloja"] } } ],
                  "requestBody": { "required": true, "content": { "multipart/form-data": { "schema": { "type": "object", "properties": { "file": { "type": "string", "format": "binary" }, "format": { "type": "string" } } } } } },
                  "responses": { "202": { "description": "{id, state, format, imported, duplicates, skipped, error}" }, "400": { "$ref": "#/components/responses/Error" }, "415": { "$ref": "#/components/responses/Error" }, "422": { "$ref": "#/components/responses/Error" } } } }
                """##,
                ##"""
                "/me/listens/imports/{id}": { "get": { "summary": "One import's progress", "parameters": [ { "$ref": "#/components/parameters/id" } ], "responses": { "200": { "description": "Import" }, "404": { "$ref": "#/components/responses/Error" } } } }
                """##,
                ##"""
                "/me/listens/export": { "get": { "summary": "All your listens as JSON Lines in ListenBrainz's listen format (streamed)", "responses": { "200": { "description": "application/x-ndjson" } } } }
                """##,
                ##"""
                "/me/scrobbler-sessions": { "get": { "summary": "Your Last.fm and AudioScrobbler sessions (scrobblers signed in with your password or app password)", "responses": { "200": { "description": "[{id, protocol, apiKey, createdAt}]" } } } }
                """##,
                ##"""
                "/me/scrobbler-sessions/{id}": { "delete": { "summary": "Sign a scrobbler out", "parameters": [ { "name": "id", "in": "path", "required": true, "schema": { "type": "string" } } ], "responses": { "204": { "description": "Signed out" }, "404": { "$ref": "#/components/responses/Error" } } } }
                """##,
                ##"""
                "/me/lastfm-keys": {
                "get": { "summary": "Your Last.fm api_key/secret pairs (secrets are shown only at creation)", "responses": { "200": { "description": "[{id, name, apiKey, createdAt}]" } } },
                "post": { "summary": "Issue an api_key/secret pair for a scrobbler that takes custom keys; its api_sig is then verified",
                  "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["name"], "properties": { "name": { "type": "string" } } } } } },
                  "responses": { "201": { "description": "{id, name, apiKey, secret, createdAt}" }, "422": { "$ref": "#/components/responses/Error" } } } }
                """##,
                ##"""
                "/me/lastfm-keys/{id}": { "delete": { "summary": "Revoke a key pair", "parameters": [ { "$ref": "#/components/parameters/id" } ], "responses": { "204": { "description": "Deleted" }, "404": { "$ref": "#/components/responses/Error" } } } }
                """##,
                ##"""
                "/lastfm/approve": { "post": { "summary": "Approve a token from the Last.fm auth.getToken call, so auth.getSession can return a session for you",
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["token"], "properties": { "token": { "type": "string" } } } } } },
                "responses": { "204": { "description": "Approved" }, "404": { "$ref": "#/components/responses/Error" } } } }
                """##,
            ]
        )
    }
}

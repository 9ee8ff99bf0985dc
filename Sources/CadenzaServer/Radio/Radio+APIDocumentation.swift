extension RadioFeature {
    /// This feature's part of the OpenAPI document of `/api/v1`.
    static let documentation = APIDocumentation(
        schemas: [
            ##"""
            "Station": { "type": "object", "properties": { "id": { "type": "string" }, "slug": { "type": "string" }, "name": { "type": "string" }, "description": { "type": "string" }, "timeZone": { "type": "string" }, "visibility": { "type": "string", "enum": ["public", "unlisted", "private"] }, "ownerId": { "type": "string" }, "outputs": { "type": "array", "items": { "type": "string", "enum": ["mp3", "aac", "hls"] } }, "mounts": { "type": "array", "items": { "type": "string" } }, "crossfadeMs": { "type": "integer" }, "pushUrl": { "type": "string" }, "createdAt": { "type": "string", "format": "date-time" } } }
            """##,
            ##"""
            "StationChange": { "type": "object", "properties": { "slug": { "type": "string", "pattern": "^[a-z0-9][a-z0-9-]{1,39}$" }, "name": { "type": "string", "minLength": 1, "maxLength": 100 }, "description": { "type": "string", "maxLength": 2000 }, "timeZone": { "type": "string" }, "visibility": { "type": "string", "enum": ["public", "unlisted", "private"] }, "outputs": { "type": "array", "items": { "type": "string", "enum": ["mp3", "aac", "hls"] } }, "crossfadeMs": { "type": "integer", "minimum": 0, "maximum": 10000 }, "pushUrl": { "type": "string", "description": "icecast://source:password@host:port/mount (administrators); empty to stop" } } }
            """##,
        ],
        parameters: [
            ##"""
            "slug": { "name": "slug", "in": "path", "required": true, "schema": { "type": "string" } }
            """##
        ],
        paths: [
            ##"""
            "/stations": {
            "get": { "summary": "Radio stations listed to you: public ones, yours, and all for administrators", "responses": { "200": { "description": "Stations", "content": { "application/json": { "schema": { "type": "array", "items": { "$ref": "#/components/schemas/Station" } } } } } } },
            "post": { "summary": "Create a station (it goes on air at once with the autoDJ rotation over the libraries you may see)",
              "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/StationChange" } } } },
              "responses": { "201": { "description": "The station" }, "409": { "$ref": "#/components/responses/Error" }, "422": { "$ref": "#/components/responses/Error" } } } }
            """##,
            ##"""
            "/stations/{slug}": {
            "get": { "summary": "A station", "parameters": [ { "$ref": "#/components/parameters/slug" } ], "responses": { "200": { "description": "Station" }, "404": { "$ref": "#/components/responses/Error" } } },
            "patch": { "summary": "Change a station (owner or administrator); the slug stays", "parameters": [ { "$ref": "#/components/parameters/slug" } ],
              "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/StationChange" } } } },
              "responses": { "200": { "description": "Station" }, "403": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" }, "422": { "$ref": "#/components/responses/Error" } } },
            "delete": { "summary": "Delete a station and its as-run log", "parameters": [ { "$ref": "#/components/parameters/slug" } ], "responses": { "204": { "description": "Deleted" }, "403": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" } } } }
            """##,
            ##"""
            "/stations/{slug}/now-playing": { "get": { "summary": "What the station airs (with playedAt, the instant its first sample went out), what is next, what aired, listeners; public stations need no sign-in", "security": [], "parameters": [ { "$ref": "#/components/parameters/slug" } ], "responses": { "200": { "description": "{station, name, onAir, nowPlaying, playingNext, songHistory, listeners}" }, "404": { "$ref": "#/components/responses/Error" } } } }
            """##,
            ##"""
            "/stations/{slug}/skip": { "post": { "summary": "End the current item now (owner or administrator)", "parameters": [ { "$ref": "#/components/parameters/slug" } ], "responses": { "202": { "description": "Skipped" }, "403": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" }, "409": { "$ref": "#/components/responses/Error" } } } }
            """##,
            ##"""
            "/stations/{slug}/next": { "post": { "summary": "Air a track right after the current item, before the rotation's choice (owner or administrator)", "parameters": [ { "$ref": "#/components/parameters/slug" } ],
              "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["trackId"], "properties": { "trackId": { "type": "string" } } } } } },
              "responses": { "202": { "description": "{trackId, title, artist, text}" }, "403": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" }, "409": { "$ref": "#/components/responses/Error" }, "422": { "$ref": "#/components/responses/Error" } } } }
            """##,
            ##"""
            "/stations/{slug}/listeners": { "get": { "summary": "Listeners now per output and per player (User-Agent), and listening minutes and peak listeners per day in the station's time zone (owner or administrator)", "parameters": [ { "$ref": "#/components/parameters/slug" }, { "name": "days", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 366 } } ], "responses": { "200": { "description": "{current: {mp3: n}, userAgents: [{agent, listeners}], days: [{day, listeningMinutes, peakListeners}]}" }, "400": { "$ref": "#/components/responses/Error" }, "403": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" } } } }
            """##,
            ##"""
            "/stations/{slug}/history": { "get": { "summary": "The as-run log, newest first (owner or administrator); format=csv for royalty reports", "parameters": [ { "$ref": "#/components/parameters/slug" }, { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 10000 } }, { "name": "format", "in": "query", "schema": { "type": "string", "enum": ["json", "csv"] } } ], "responses": { "200": { "description": "Entries {trackId, title, artist, source, startedAt, durationMs} or CSV" }, "403": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" } } } }
            """##,
        ])
}

import Vapor

/// The OpenAPI 3 description of `/api/v1`. A test checks that every registered route is here.
enum OpenAPIDocument {
    @Sendable static func serve(req: Request) async throws -> Response {
        let response = Response(status: .ok, body: .init(string: json))
        response.headers.contentType = .json
        return response
    }

    static let json = #"""
    {
      "openapi": "3.0.3",
      "info": { "title": "Cadenza API", "version": "1.0.0",
        "description": "Cadenza's own REST API. Authenticate with `Authorization: Bearer <token>` (personal API token) or the session cookie plus `X-CSRF-Token` on unsafe methods. Errors are `{\"error\": {\"code\", \"message\"}}`." },
      "servers": [ { "url": "/api/v1" } ],
      "components": {
        "securitySchemes": {
          "bearer": { "type": "http", "scheme": "bearer" },
          "session": { "type": "apiKey", "in": "cookie", "name": "cadenza_session" }
        },
        "schemas": {
          "Error": { "type": "object", "required": ["error"], "properties": { "error": { "type": "object", "required": ["code", "message"], "properties": { "code": { "type": "string" }, "message": { "type": "string" } } } } },
          "User": { "type": "object", "properties": { "id": { "type": "string" }, "username": { "type": "string" }, "role": { "type": "string", "enum": ["admin", "user"] }, "createdAt": { "type": "string", "format": "date-time" } } },
          "Session": { "type": "object", "properties": { "user": { "$ref": "#/components/schemas/User" }, "csrfToken": { "type": "string" } } },
          "Token": { "type": "object", "properties": { "id": { "type": "string" }, "name": { "type": "string" }, "prefix": { "type": "string" }, "createdAt": { "type": "string", "format": "date-time" }, "lastUsedAt": { "type": "string", "format": "date-time" }, "expiresAt": { "type": "string", "format": "date-time" }, "token": { "type": "string", "description": "only in the creation response" } } },
          "Job": { "type": "object", "properties": { "id": { "type": "string" }, "kind": { "type": "string" }, "state": { "type": "string", "enum": ["queued", "running", "succeeded", "failed", "cancelled"] }, "payload": {}, "priority": { "type": "integer" }, "attempts": { "type": "integer" }, "maxAttempts": { "type": "integer" }, "runAt": { "type": "string", "format": "date-time" }, "lastError": { "type": "string" }, "uniqueKey": { "type": "string" }, "createdAt": { "type": "string", "format": "date-time" }, "finishedAt": { "type": "string", "format": "date-time" } } },
          "Event": { "type": "object", "properties": { "id": { "type": "string" }, "type": { "type": "string" }, "actorId": { "type": "string" }, "subjectType": { "type": "string" }, "subjectId": { "type": "string" }, "payload": {}, "createdAt": { "type": "string", "format": "date-time" } } },
          "Ref": { "type": "object", "properties": { "id": { "type": "string" }, "name": { "type": "string" } } },
          "Library": { "type": "object", "properties": { "id": { "type": "string" }, "name": { "type": "string" }, "visibility": { "type": "string", "enum": ["private", "instance", "public"] }, "kind": { "type": "string", "enum": ["folders", "uploads"] }, "ownerId": { "type": "string" }, "folders": { "type": "array", "items": { "type": "object", "properties": { "id": { "type": "string" }, "path": { "type": "string" }, "lastScanAt": { "type": "string", "format": "date-time" } } } }, "createdAt": { "type": "string", "format": "date-time" } } },
          "Artist": { "type": "object", "properties": { "id": { "type": "string" }, "name": { "type": "string" }, "sortName": { "type": "string" }, "mbid": { "type": "string" }, "albumCount": { "type": "integer" }, "trackCount": { "type": "integer" }, "artworkId": { "type": "string" } } },
          "Album": { "type": "object", "properties": { "id": { "type": "string" }, "title": { "type": "string" }, "artist": { "$ref": "#/components/schemas/Ref" }, "year": { "type": "integer" }, "originalYear": { "type": "integer" }, "compilation": { "type": "boolean" }, "mbid": { "type": "string" }, "trackCount": { "type": "integer" }, "durationMs": { "type": "integer" }, "artworkId": { "type": "string" }, "createdAt": { "type": "string", "format": "date-time" } } },
          "File": { "type": "object", "properties": { "id": { "type": "string" }, "libraryId": { "type": "string" }, "path": { "type": "string" }, "format": { "type": "string" }, "bitrate": { "type": "integer" }, "sampleRate": { "type": "integer" }, "channels": { "type": "integer" }, "size": { "type": "integer" }, "status": { "type": "string", "enum": ["pending", "imported", "failed"] }, "error": { "type": "string" }, "originalName": { "type": "string" } } },
          "Track": { "type": "object", "properties": { "id": { "type": "string" }, "title": { "type": "string" }, "artist": { "type": "string" }, "artists": { "type": "array", "items": { "$ref": "#/components/schemas/Ref" } }, "album": { "$ref": "#/components/schemas/Ref" }, "albumArtist": { "$ref": "#/components/schemas/Ref" }, "discNumber": { "type": "integer" }, "trackNumber": { "type": "integer" }, "durationMs": { "type": "integer" }, "year": { "type": "integer" }, "genre": { "type": "string" }, "genres": { "type": "array", "items": { "type": "string" } }, "mbid": { "type": "string" }, "replayGain": { "type": "object" }, "artworkId": { "type": "string" }, "libraryId": { "type": "string" }, "files": { "type": "array", "items": { "$ref": "#/components/schemas/File" } }, "createdAt": { "type": "string", "format": "date-time" } } },
          "Page": { "type": "object", "properties": { "items": { "type": "array", "items": {} }, "limit": { "type": "integer" }, "offset": { "type": "integer" } } }
        },
        "responses": {
          "Error": { "description": "Error", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } }
        },
        "parameters": {
          "id": { "name": "id", "in": "path", "required": true, "schema": { "type": "string" } },
          "limit": { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 500, "default": 50 } },
          "offset": { "name": "offset", "in": "query", "schema": { "type": "integer", "minimum": 0, "default": 0 } },
          "genre": { "name": "genre", "in": "query", "schema": { "type": "string" } },
          "library": { "name": "library", "in": "query", "schema": { "type": "integer" } },
          "artist": { "name": "artist", "in": "query", "schema": { "type": "integer" } },
          "album": { "name": "album", "in": "query", "schema": { "type": "integer" } },
          "fromYear": { "name": "fromYear", "in": "query", "schema": { "type": "integer" } },
          "toYear": { "name": "toYear", "in": "query", "schema": { "type": "integer" } }
        }
      },
      "security": [ { "bearer": [] }, { "session": [] } ],
      "paths": {
        "/openapi.json": { "get": { "summary": "This document", "security": [], "responses": { "200": { "description": "OpenAPI document" } } } },
        "/setup": { "post": { "summary": "Create the first administrator with the one-time setup token", "security": [],
          "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["token", "username", "password"], "properties": { "token": { "type": "string" }, "username": { "type": "string" }, "password": { "type": "string" } } } } } },
          "responses": { "201": { "description": "Created and signed in", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Session" } } } }, "403": { "$ref": "#/components/responses/Error" }, "409": { "$ref": "#/components/responses/Error" }, "422": { "$ref": "#/components/responses/Error" } } } },
        "/auth/login": { "post": { "summary": "Sign in; sets the session cookie", "security": [],
          "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["username", "password"], "properties": { "username": { "type": "string" }, "password": { "type": "string" } } } } } },
          "responses": { "200": { "description": "Signed in", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Session" } } } }, "401": { "$ref": "#/components/responses/Error" }, "429": { "$ref": "#/components/responses/Error" } } } },
        "/auth/logout": { "post": { "summary": "End the current session", "responses": { "204": { "description": "Signed out" }, "401": { "$ref": "#/components/responses/Error" } } } },
        "/me": { "get": { "summary": "The signed-in user", "responses": { "200": { "description": "User", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/User" } } } }, "401": { "$ref": "#/components/responses/Error" } } } },
        "/me/password": { "put": { "summary": "Change your password",
          "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["currentPassword", "newPassword"], "properties": { "currentPassword": { "type": "string" }, "newPassword": { "type": "string" } } } } } },
          "responses": { "204": { "description": "Changed" }, "403": { "$ref": "#/components/responses/Error" }, "422": { "$ref": "#/components/responses/Error" } } } },
        "/me/subsonic-password": {
          "get": { "summary": "Your Subsonic password (for Subsonic apps; separate from the login password)", "responses": { "200": { "description": "The password, or null when none is set" }, "401": { "$ref": "#/components/responses/Error" } } },
          "put": { "summary": "Set (or, without a body, generate) your Subsonic password",
            "requestBody": { "content": { "application/json": { "schema": { "type": "object", "properties": { "password": { "type": "string" } } } } } },
            "responses": { "200": { "description": "The new password" }, "422": { "$ref": "#/components/responses/Error" } } } },
        "/tokens": {
          "get": { "summary": "Your API tokens", "responses": { "200": { "description": "Tokens", "content": { "application/json": { "schema": { "type": "array", "items": { "$ref": "#/components/schemas/Token" } } } } } } },
          "post": { "summary": "Create an API token (shown once)",
            "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["name"], "properties": { "name": { "type": "string" }, "expiresInDays": { "type": "integer" } } } } } },
            "responses": { "201": { "description": "Created", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Token" } } } }, "422": { "$ref": "#/components/responses/Error" }, "429": { "$ref": "#/components/responses/Error" } } } },
        "/tokens/{id}": { "delete": { "summary": "Revoke an API token", "parameters": [ { "$ref": "#/components/parameters/id" } ], "responses": { "204": { "description": "Revoked" }, "404": { "$ref": "#/components/responses/Error" } } } },
        "/users": {
          "get": { "summary": "All users (admin)", "responses": { "200": { "description": "Users", "content": { "application/json": { "schema": { "type": "array", "items": { "$ref": "#/components/schemas/User" } } } } }, "403": { "$ref": "#/components/responses/Error" } } },
          "post": { "summary": "Create a user (admin)",
            "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["username", "password"], "properties": { "username": { "type": "string" }, "password": { "type": "string" }, "role": { "type": "string", "enum": ["admin", "user"] } } } } } },
            "responses": { "201": { "description": "Created", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/User" } } } }, "403": { "$ref": "#/components/responses/Error" }, "409": { "$ref": "#/components/responses/Error" }, "422": { "$ref": "#/components/responses/Error" } } } },
        "/users/{id}": {
          "parameters": [ { "$ref": "#/components/parameters/id" } ],
          "get": { "summary": "One user (admin)", "responses": { "200": { "description": "User", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/User" } } } }, "404": { "$ref": "#/components/responses/Error" } } },
          "patch": { "summary": "Change role or password (admin)",
            "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "properties": { "role": { "type": "string", "enum": ["admin", "user"] }, "password": { "type": "string" } } } } } },
            "responses": { "200": { "description": "User", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/User" } } } }, "404": { "$ref": "#/components/responses/Error" }, "409": { "$ref": "#/components/responses/Error" } } },
          "delete": { "summary": "Delete a user (admin)", "responses": { "204": { "description": "Deleted" }, "404": { "$ref": "#/components/responses/Error" }, "409": { "$ref": "#/components/responses/Error" } } } },
        "/jobs": { "get": { "summary": "Jobs, newest first (admin)",
          "parameters": [ { "name": "state", "in": "query", "schema": { "type": "string" } }, { "name": "kind", "in": "query", "schema": { "type": "string" } }, { "name": "before", "in": "query", "schema": { "type": "integer" } }, { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 500 } } ],
          "responses": { "200": { "description": "Jobs", "content": { "application/json": { "schema": { "type": "array", "items": { "$ref": "#/components/schemas/Job" } } } } }, "400": { "$ref": "#/components/responses/Error" }, "403": { "$ref": "#/components/responses/Error" } } } },
        "/jobs/ping": { "post": { "summary": "Queue worker health-check jobs; each writes one system.pong event (admin)",
          "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "properties": { "count": { "type": "integer", "minimum": 1, "maximum": 10000 }, "delayMillis": { "type": "integer" }, "note": { "type": "string" } } } } } },
          "responses": { "202": { "description": "Queued", "content": { "application/json": { "schema": { "type": "object", "properties": { "jobIds": { "type": "array", "items": { "type": "string" } } } } } } } } } },
        "/jobs/{id}": { "get": { "summary": "One job (admin)", "parameters": [ { "$ref": "#/components/parameters/id" } ], "responses": { "200": { "description": "Job", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Job" } } } }, "404": { "$ref": "#/components/responses/Error" } } } },
        "/jobs/{id}/retry": { "post": { "summary": "Requeue a failed or cancelled job (admin)", "parameters": [ { "$ref": "#/components/parameters/id" } ], "responses": { "200": { "description": "Job", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Job" } } } }, "404": { "$ref": "#/components/responses/Error" }, "409": { "$ref": "#/components/responses/Error" } } } },
        "/jobs/{id}/cancel": { "post": { "summary": "Cancel a queued or running job (admin)", "parameters": [ { "$ref": "#/components/parameters/id" } ], "responses": { "200": { "description": "Job", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Job" } } } }, "404": { "$ref": "#/components/responses/Error" }, "409": { "$ref": "#/components/responses/Error" } } } },
        "/libraries": {
          "get": { "summary": "Libraries you may see", "responses": { "200": { "description": "OK", "content": { "application/json": { "schema": { "type": "array", "items": { "$ref": "#/components/schemas/Library" } } } } } } },
          "post": { "summary": "Create a library (upload libraries for anyone; folder libraries for admins)",
            "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["name"], "properties": { "name": { "type": "string" }, "visibility": { "type": "string", "enum": ["private", "instance", "public"] }, "kind": { "type": "string", "enum": ["folders", "uploads"] } } } } } },
            "responses": { "201": { "description": "Created", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Library" } } } }, "403": { "$ref": "#/components/responses/Error" }, "422": { "$ref": "#/components/responses/Error" } } } },
        "/libraries/{id}": { "get": { "summary": "One library", "parameters": [ { "$ref": "#/components/parameters/id" } ], "responses": { "200": { "description": "OK", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Library" } } } }, "404": { "$ref": "#/components/responses/Error" } } } },
        "/libraries/{id}/folders": { "post": { "summary": "Add a server folder and scan it (admin)", "parameters": [ { "$ref": "#/components/parameters/id" } ],
          "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["path"], "properties": { "path": { "type": "string" } } } } } },
          "responses": { "201": { "description": "Added" }, "403": { "$ref": "#/components/responses/Error" }, "409": { "$ref": "#/components/responses/Error" }, "422": { "$ref": "#/components/responses/Error" } } } },
        "/libraries/{id}/scan": { "post": { "summary": "Queue a scan of every folder (progress and results arrive as events)", "parameters": [ { "$ref": "#/components/parameters/id" } ],
          "requestBody": { "content": { "application/json": { "schema": { "type": "object", "properties": { "full": { "type": "boolean" } } } } } },
          "responses": { "202": { "description": "Queued" }, "403": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" } } } },
        "/libraries/{id}/files": { "get": { "summary": "Files of a library with their import status and errors", "parameters": [ { "$ref": "#/components/parameters/id" }, { "$ref": "#/components/parameters/limit" }, { "$ref": "#/components/parameters/offset" }, { "name": "status", "in": "query", "schema": { "type": "string", "enum": ["pending", "imported", "failed"] } } ],
          "responses": { "200": { "description": "OK", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Page" } } } }, "403": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" } } } },
        "/artists": { "get": { "summary": "Artists", "parameters": [ { "$ref": "#/components/parameters/limit" }, { "$ref": "#/components/parameters/offset" }, { "name": "sort", "in": "query", "schema": { "type": "string", "enum": ["name", "recent"] } }, { "$ref": "#/components/parameters/genre" }, { "$ref": "#/components/parameters/library" }, { "$ref": "#/components/parameters/artist" }, { "$ref": "#/components/parameters/album" }, { "$ref": "#/components/parameters/fromYear" }, { "$ref": "#/components/parameters/toYear" } ], "responses": { "200": { "description": "OK", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Page" } } } }, "400": { "$ref": "#/components/responses/Error" } } } },
        "/artists/{id}": { "get": { "summary": "An artist and their albums", "parameters": [ { "$ref": "#/components/parameters/id" } ], "responses": { "200": { "description": "Artist" }, "404": { "$ref": "#/components/responses/Error" } } } },
        "/albums": { "get": { "summary": "Albums", "parameters": [ { "$ref": "#/components/parameters/limit" }, { "$ref": "#/components/parameters/offset" }, { "name": "sort", "in": "query", "schema": { "type": "string", "enum": ["name", "year", "recent", "artist", "random"] } }, { "$ref": "#/components/parameters/genre" }, { "$ref": "#/components/parameters/library" }, { "$ref": "#/components/parameters/artist" }, { "$ref": "#/components/parameters/album" }, { "$ref": "#/components/parameters/fromYear" }, { "$ref": "#/components/parameters/toYear" } ], "responses": { "200": { "description": "OK", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Page" } } } }, "400": { "$ref": "#/components/responses/Error" } } } },
        "/albums/{id}": { "get": { "summary": "An album and its tracks", "parameters": [ { "$ref": "#/components/parameters/id" } ], "responses": { "200": { "description": "Album" }, "404": { "$ref": "#/components/responses/Error" } } } },
        "/tracks": { "get": { "summary": "Tracks", "parameters": [ { "$ref": "#/components/parameters/limit" }, { "$ref": "#/components/parameters/offset" }, { "name": "sort", "in": "query", "schema": { "type": "string", "enum": ["title", "recent", "year", "album"] } }, { "$ref": "#/components/parameters/genre" }, { "$ref": "#/components/parameters/library" }, { "$ref": "#/components/parameters/artist" }, { "$ref": "#/components/parameters/album" }, { "$ref": "#/components/parameters/fromYear" }, { "$ref": "#/components/parameters/toYear" } ], "responses": { "200": { "description": "OK", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Page" } } } }, "400": { "$ref": "#/components/responses/Error" } } } },
        "/tracks/{id}": { "get": { "summary": "One track", "parameters": [ { "$ref": "#/components/parameters/id" } ], "responses": { "200": { "description": "OK", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Track" } } } }, "404": { "$ref": "#/components/responses/Error" } } } },
        "/genres": { "get": { "summary": "Genres with counts", "responses": { "200": { "description": "Genres" } } } },
        "/search": { "get": { "summary": "Search artists, albums, tracks and the playlists you may see", "parameters": [ { "name": "q", "in": "query", "required": true, "schema": { "type": "string" } }, { "$ref": "#/components/parameters/limit" } ], "responses": { "200": { "description": "Results" }, "400": { "$ref": "#/components/responses/Error" } } } },
        "/files/{id}/audio": { "get": { "summary": "Stream a file: raw with HTTP Range, or transcoded with ffmpeg", "parameters": [ { "$ref": "#/components/parameters/id" },
            { "name": "format", "in": "query", "schema": { "type": "string", "enum": ["raw", "mp3", "opus", "aac"] } },
            { "name": "maxBitRate", "in": "query", "schema": { "type": "integer" } }, { "name": "timeOffset", "in": "query", "schema": { "type": "number" } },
            { "name": "Range", "in": "header", "schema": { "type": "string" } } ],
          "responses": { "200": { "description": "Audio" }, "206": { "description": "Partial audio" }, "404": { "$ref": "#/components/responses/Error" }, "416": { "$ref": "#/components/responses/Error" } } } },
        "/artwork/{id}": { "get": { "summary": "Cover art, optionally resized", "parameters": [ { "$ref": "#/components/parameters/id" }, { "name": "size", "in": "query", "schema": { "type": "integer" } } ],
          "responses": { "200": { "description": "Image" }, "304": { "description": "Not modified" }, "404": { "$ref": "#/components/responses/Error" } } } },
        "/uploads": {
          "get": { "summary": "Your uploads and their import status", "parameters": [ { "$ref": "#/components/parameters/limit" }, { "$ref": "#/components/parameters/offset" }, { "name": "status", "in": "query", "schema": { "type": "string" } } ], "responses": { "200": { "description": "OK", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Page" } } } } } },
          "post": { "summary": "Upload audio files (multipart/form-data, any file fields); imported by a job",
            "parameters": [ { "$ref": "#/components/parameters/library" } ],
            "requestBody": { "required": true, "content": { "multipart/form-data": { "schema": { "type": "object", "properties": { "files": { "type": "array", "items": { "type": "string", "format": "binary" } } } } } } },
            "responses": { "201": { "description": "Per-file results: pending, duplicate or rejected" }, "400": { "$ref": "#/components/responses/Error" }, "403": { "$ref": "#/components/responses/Error" }, "413": { "$ref": "#/components/responses/Error" }, "415": { "$ref": "#/components/responses/Error" } } } },
        "/me/listen-settings": {
          "get": { "summary": "Your listens settings: time zone for stats and who may read your listens", "responses": { "200": { "description": "{timeZone, visibility}" } } },
          "put": { "summary": "Change time zone (IANA name; stats are rebuilt by a job) or visibility (public, instance, private)",
            "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "properties": { "timeZone": { "type": "string" }, "visibility": { "type": "string", "enum": ["public", "instance", "private"] } } } } } },
            "responses": { "200": { "description": "The new settings" }, "422": { "$ref": "#/components/responses/Error" } } } },
        "/me/feed": { "get": { "summary": "Your listens and those of whom you follow, newest first, and who of you is playing now", "parameters": [{ "name": "count", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 200, "default": 50 } }], "responses": { "200": { "description": "{following: [username], listens: [ListenBrainz listen], playingNow: [ListenBrainz listen]}" } } } },
        "/follows": { "get": { "summary": "Users you follow (their listens and playing-now reach your event stream)", "responses": { "200": { "description": "{following: [username]}" } } } },
        "/follows/{username}": {
          "put": { "summary": "Follow a user whose listens you may read", "parameters": [ { "name": "username", "in": "path", "required": true, "schema": { "type": "string" } } ], "responses": { "200": { "description": "{following}" }, "404": { "$ref": "#/components/responses/Error" } } },
          "delete": { "summary": "Stop following", "parameters": [ { "name": "username", "in": "path", "required": true, "schema": { "type": "string" } } ], "responses": { "200": { "description": "{following}" } } } },
        "/me/listens/imports": {
          "get": { "summary": "Your listen imports, newest first", "responses": { "200": { "description": "Import objects" } } },
          "post": { "summary": "Import a listening history (multipart field file; format listenbrainz, lastfm_csv or maloja, sniffed when absent); run by a job",
            "parameters": [ { "name": "format", "in": "query", "schema": { "type": "string", "enum": ["listenbrainz", "lastfm_csv", "maloja"] } } ],
            "requestBody": { "required": true, "content": { "multipart/form-data": { "schema": { "type": "object", "properties": { "file": { "type": "string", "format": "binary" }, "format": { "type": "string" } } } } } },
            "responses": { "202": { "description": "{id, state, format, imported, duplicates, skipped, error}" }, "400": { "$ref": "#/components/responses/Error" }, "415": { "$ref": "#/components/responses/Error" }, "422": { "$ref": "#/components/responses/Error" } } } },
        "/me/listens/imports/{id}": { "get": { "summary": "One import's progress", "parameters": [ { "$ref": "#/components/parameters/id" } ], "responses": { "200": { "description": "Import" }, "404": { "$ref": "#/components/responses/Error" } } } },
        "/me/listens/export": { "get": { "summary": "All your listens as JSON Lines in ListenBrainz's listen format (streamed)", "responses": { "200": { "description": "application/x-ndjson" } } } },
        "/me/lastfm-keys": {
          "get": { "summary": "Your Last.fm api_key/secret pairs (secrets are shown only at creation)", "responses": { "200": { "description": "[{id, name, apiKey, createdAt}]" } } },
          "post": { "summary": "Issue an api_key/secret pair for a scrobbler that takes custom keys; its api_sig is then verified",
            "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["name"], "properties": { "name": { "type": "string" } } } } } },
            "responses": { "201": { "description": "{id, name, apiKey, secret, createdAt}" }, "422": { "$ref": "#/components/responses/Error" } } } },
        "/me/lastfm-keys/{id}": { "delete": { "summary": "Revoke a key pair", "parameters": [ { "$ref": "#/components/parameters/id" } ], "responses": { "204": { "description": "Deleted" }, "404": { "$ref": "#/components/responses/Error" } } } },
        "/lastfm/approve": { "post": { "summary": "Approve a token from the Last.fm auth.getToken call, so auth.getSession can return a session for you",
          "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["token"], "properties": { "token": { "type": "string" } } } } } },
          "responses": { "204": { "description": "Approved" }, "404": { "$ref": "#/components/responses/Error" } } } },
        "/plays": { "post": { "summary": "The web player reports a track starting (playing now) or played long enough to count (a listen)",
          "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["trackId", "event"], "properties": { "trackId": { "type": "string" }, "event": { "type": "string", "enum": ["playing", "played"] }, "listenedAt": { "type": "integer", "description": "ms since 1970, within the last 24 hours; a retried report with the same value is stored once" } } } } } },
          "responses": { "204": { "description": "Recorded" }, "404": { "$ref": "#/components/responses/Error" }, "422": { "$ref": "#/components/responses/Error" } } } },
        "/playlists": {
          "get": { "summary": "Playlists you may see: yours, public ones (all for administrators)", "responses": { "200": { "description": "[Playlist]" } } },
          "post": { "summary": "Create a playlist", "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["name"], "properties": { "name": { "type": "string" }, "isPublic": { "type": "boolean" }, "trackIds": { "type": "array", "items": { "type": "string" } } } } } } },
            "responses": { "201": { "description": "The playlist with its tracks" }, "404": { "$ref": "#/components/responses/Error" }, "422": { "$ref": "#/components/responses/Error" } } } },
        "/playlists/{id}": {
          "get": { "summary": "A playlist with its tracks in order", "parameters": [ { "$ref": "#/components/parameters/id" } ], "responses": { "200": { "description": "Playlist" }, "404": { "$ref": "#/components/responses/Error" } } },
          "patch": { "summary": "Rename, make public/private, replace the order (trackIds) or append (addTrackIds); owner only", "parameters": [ { "$ref": "#/components/parameters/id" } ],
            "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "properties": { "name": { "type": "string" }, "isPublic": { "type": "boolean" }, "trackIds": { "type": "array", "items": { "type": "string" } }, "addTrackIds": { "type": "array", "items": { "type": "string" } } } } } } },
            "responses": { "200": { "description": "Playlist" }, "403": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" } } },
          "delete": { "summary": "Delete a playlist; owner only", "parameters": [ { "$ref": "#/components/parameters/id" } ], "responses": { "204": { "description": "Deleted" }, "403": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" } } } },
        "/stars": { "get": { "summary": "Your starred tracks, albums and artists", "responses": { "200": { "description": "{tracks, albums, artists}" } } } },
        "/ratings": { "get": { "summary": "Your ratings (1 to 5) by kind and id", "responses": { "200": { "description": "{tracks: {id: rating}, albums: {...}, artists: {...}}" } } } },
        "/ratings/{type}/{id}": {
          "put": { "summary": "Rate a track, album or artist (0 clears the rating)", "parameters": [ { "name": "type", "in": "path", "required": true, "schema": { "type": "string", "enum": ["track", "album", "artist"] } }, { "$ref": "#/components/parameters/id" } ],
            "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["rating"], "properties": { "rating": { "type": "integer", "minimum": 0, "maximum": 5 } } } } } },
            "responses": { "204": { "description": "Rated" }, "404": { "$ref": "#/components/responses/Error" }, "422": { "$ref": "#/components/responses/Error" } } } },
        "/invites": {
          "get": { "summary": "Pending invite links (administrators)", "responses": { "200": { "description": "[{id, role, createdBy, createdAt, expiresAt}]" }, "403": { "$ref": "#/components/responses/Error" } } },
          "post": { "summary": "Create a single-use invite link for a role (administrators); the token and url are shown only here",
            "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "properties": { "role": { "type": "string", "enum": ["admin", "user"] }, "hours": { "type": "integer", "minimum": 1, "maximum": 720 } } } } } },
            "responses": { "201": { "description": "{id, role, createdBy, createdAt, expiresAt, token, url}" }, "403": { "$ref": "#/components/responses/Error" }, "422": { "$ref": "#/components/responses/Error" } } } },
        "/invites/{id}": { "delete": { "summary": "Revoke a pending invite (administrators)", "parameters": [ { "$ref": "#/components/parameters/id" } ], "responses": { "204": { "description": "Revoked" }, "404": { "$ref": "#/components/responses/Error" } } } },
        "/invites/check": { "post": { "summary": "Whether an invite token is still valid, and for which role (no sign-in needed)",
          "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["token"], "properties": { "token": { "type": "string" } } } } } },
          "responses": { "200": { "description": "{role, expiresAt}" }, "404": { "$ref": "#/components/responses/Error" } } } },
        "/invites/accept": { "post": { "summary": "Create your account with an invite token; signs you in",
          "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["token", "username", "password"], "properties": { "token": { "type": "string" }, "username": { "type": "string" }, "password": { "type": "string" } } } } } },
          "responses": { "201": { "description": "Session", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Session" } } } }, "404": { "$ref": "#/components/responses/Error" }, "409": { "$ref": "#/components/responses/Error" }, "422": { "$ref": "#/components/responses/Error" } } } },
        "/stars/{type}/{id}": {
          "put": { "summary": "Star a track, album or artist", "parameters": [ { "name": "type", "in": "path", "required": true, "schema": { "type": "string", "enum": ["track", "album", "artist"] } }, { "$ref": "#/components/parameters/id" } ], "responses": { "204": { "description": "Starred" }, "404": { "$ref": "#/components/responses/Error" } } },
          "delete": { "summary": "Remove a star", "parameters": [ { "name": "type", "in": "path", "required": true, "schema": { "type": "string", "enum": ["track", "album", "artist"] } }, { "$ref": "#/components/parameters/id" } ], "responses": { "204": { "description": "Unstarred" } } } },
        "/events": { "get": { "summary": "Live events as Server-Sent Events; resume with Last-Event-ID",
          "parameters": [ { "name": "Last-Event-ID", "in": "header", "schema": { "type": "string" } }, { "name": "lastEventId", "in": "query", "schema": { "type": "string" } } ],
          "responses": { "200": { "description": "text/event-stream of Event objects", "content": { "text/event-stream": { "schema": { "$ref": "#/components/schemas/Event" } } } }, "401": { "$ref": "#/components/responses/Error" } } } },
        "/events/ws": { "get": { "summary": "Live events over WebSocket (one Event JSON per text frame); resume with ?lastEventId=",
          "parameters": [ { "name": "lastEventId", "in": "query", "schema": { "type": "string" } } ],
          "responses": { "101": { "description": "Switching protocols" }, "401": { "$ref": "#/components/responses/Error" } } } }
      }
    }
    """#
}

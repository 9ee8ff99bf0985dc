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
          "Event": { "type": "object", "properties": { "id": { "type": "string" }, "type": { "type": "string" }, "actorId": { "type": "string" }, "subjectType": { "type": "string" }, "subjectId": { "type": "string" }, "payload": {}, "createdAt": { "type": "string", "format": "date-time" } } }
        },
        "responses": {
          "Error": { "description": "Error", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } }
        },
        "parameters": {
          "id": { "name": "id", "in": "path", "required": true, "schema": { "type": "string" } }
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

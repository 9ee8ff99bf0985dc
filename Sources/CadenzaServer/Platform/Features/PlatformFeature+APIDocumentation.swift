extension PlatformFeature {
    /// This feature's part of the OpenAPI document of `/api/v1`.
    public var apiDocumentation: APIDocumentation {
        APIDocumentation(
            schemas: [
                ##"""
                "Error": { "type": "object", "required": ["error"], "properties": { "error": { "type": "object", "required": ["code", "message"], "properties": { "code": { "type": "string" }, "message": { "type": "string" } } } } }
                """##,
                ##"""
                "Job": { "type": "object", "properties": { "id": { "type": "string" }, "kind": { "type": "string" }, "state": { "type": "string", "enum": ["queued", "running", "succeeded", "failed", "cancelled"] }, "payload": {}, "priority": { "type": "integer" }, "attempts": { "type": "integer" }, "maxAttempts": { "type": "integer" }, "runAt": { "type": "string", "format": "date-time" }, "lastError": { "type": "string" }, "uniqueKey": { "type": "string" }, "createdAt": { "type": "string", "format": "date-time" }, "finishedAt": { "type": "string", "format": "date-time" }, "traceId": { "type": "string", "description": "X-Request-ID of the request that queued it" } } }
                """##,
                ##"""
                "Event": { "type": "object", "properties": { "id": { "type": "string" }, "type": { "type": "string" }, "actorId": { "type": "string" }, "subjectType": { "type": "string" }, "subjectId": { "type": "string" }, "payload": {}, "createdAt": { "type": "string", "format": "date-time" } } }
                """##,
                ##"""
                "Ref": { "type": "object", "properties": { "id": { "type": "string" }, "name": { "type": "string" } } }
                """##,
                ##"""
                "PageOf": { "type": "object", "properties": { "items": { "type": "array", "items": {} }, "limit": { "type": "integer" }, "offset": { "type": "integer" } } }
                """##,
            ],
            parameters: [
                ##"""
                "id": { "name": "id", "in": "path", "required": true, "schema": { "type": "string" } }
                """##,
                ##"""
                "limit": { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 500, "default": 50 } }
                """##,
                ##"""
                "offset": { "name": "offset", "in": "query", "schema": { "type": "integer", "minimum": 0, "default": 0 } }
                """##,
            ],
            paths: [
                ##"""
                "/jobs": { "get": { "summary": "Jobs, newest first (admin)",
                "parameters": [ { "name": "state", "in": "query", "schema": { "type": "string" } }, { "name": "kind", "in": "query", "schema": { "type": "string" } }, { "name": "before", "in": "query", "schema": { "type": "integer" } }, { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 500 } } ],
                "responses": { "200": { "description": "Jobs", "content": { "application/json": { "schema": { "type": "array", "items": { "$ref": "#/components/schemas/Job" } } } } }, "400": { "$ref": "#/components/responses/Error" }, "403": { "$ref": "#/components/responses/Error" } } } }
                """##,
                ##"""
                "/jobs/ping": { "post": { "summary": "Queue worker health-check jobs; each writes one system.pong event (admin)",
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "properties": { "count": { "type": "integer", "minimum": 1, "maximum": 10000 }, "delayMillis": { "type": "integer" }, "note": { "type": "string" } } } } } },
                "responses": { "202": { "description": "Queued", "content": { "application/json": { "schema": { "type": "object", "properties": { "jobIds": { "type": "array", "items": { "type": "string" } } } } } } } } } }
                """##,
                ##"""
                "/jobs/{id}": { "get": { "summary": "One job (admin)", "parameters": [ { "$ref": "#/components/parameters/id" } ], "responses": { "200": { "description": "Job", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Job" } } } }, "404": { "$ref": "#/components/responses/Error" } } } }
                """##,
                ##"""
                "/jobs/{id}/retry": { "post": { "summary": "Requeue a failed or cancelled job (admin)", "parameters": [ { "$ref": "#/components/parameters/id" } ], "responses": { "200": { "description": "Job", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Job" } } } }, "404": { "$ref": "#/components/responses/Error" }, "409": { "$ref": "#/components/responses/Error" } } } }
                """##,
                ##"""
                "/jobs/{id}/cancel": { "post": { "summary": "Cancel a queued or running job (admin)", "parameters": [ { "$ref": "#/components/parameters/id" } ], "responses": { "200": { "description": "Job", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Job" } } } }, "404": { "$ref": "#/components/responses/Error" }, "409": { "$ref": "#/components/responses/Error" } } } }
                """##,
                ##"""
                "/events": { "get": { "summary": "Live events as Server-Sent Events; resume with Last-Event-ID",
                "parameters": [ { "name": "Last-Event-ID", "in": "header", "schema": { "type": "string" } }, { "name": "lastEventId", "in": "query", "schema": { "type": "string" } } ],
                "responses": { "200": { "description": "text/event-stream of Event objects", "content": { "text/event-stream": { "schema": { "$ref": "#/components/schemas/Event" } } } }, "401": { "$ref": "#/components/responses/Error" } } } }
                """##,
                ##"""
                "/events/ws": { "get": { "summary": "Live events over WebSocket (one Event JSON per text frame); resume with ?lastEventId=",
                "parameters": [ { "name": "lastEventId", "in": "query", "schema": { "type": "string" } } ],
                "responses": { "101": { "description": "Switching protocols" }, "401": { "$ref": "#/components/responses/Error" } } } }
                """##,
                ##"""
                "/events/types": { "get": { "summary": "The event types this server writes, with who may see each (the names live events and notification rules match on)",
                "responses": { "200": { "description": "Event types", "content": { "application/json": { "schema": { "type": "array", "items": { "type": "object", "properties": { "name": { "type": "string" }, "visibility": { "type": "string" }, "subjectType": { "type": "string" } } } } } } }, "401": { "$ref": "#/components/responses/Error" } } } }
                """##,
            ]
        )
    }
}

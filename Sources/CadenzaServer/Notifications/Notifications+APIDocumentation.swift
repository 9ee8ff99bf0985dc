extension NotificationsFeature {
    /// This feature's part of the OpenAPI document of `/api/v1`.
    static let documentation = APIDocumentation(
        schemas: [
            ##"""
            "DestinationChange": { "type": "object", "properties": { "kind": { "type": "string", "enum": ["email", "webhook"] }, "name": { "type": "string", "minLength": 1, "maxLength": 100 }, "address": { "type": "string", "maxLength": 2000, "description": "An email address, or the webhook's http(s) URL (an ntfy topic URL, a Gotify /message URL)" }, "format": { "type": "string", "enum": ["standard", "ntfy", "gotify"] }, "secret": { "type": "string", "maxLength": 200, "description": "Standard Webhooks: whsec_ + base64 (made for you when omitted, shown once); ntfy/Gotify: an access token" }, "digestMinutes": { "type": "integer", "minimum": 0, "maximum": 10080 }, "digestCount": { "type": "integer", "minimum": 0, "maximum": 1000 }, "digestAt": { "type": "string", "maxLength": 5, "description": "HH:MM: a daily digest at that local time; empty: none" }, "timeZone": { "type": "string", "maxLength": 64 }, "ratePerHour": { "type": "integer", "minimum": 1, "maximum": 3600 }, "enabled": { "type": "boolean" } } }
            """##,
            ##"""
            "Destination": { "type": "object", "description": "{id, kind (inbox, email, webhook), name, address, format, status (pending until confirmed, active, disabled), digestMinutes, digestCount, digestAt, timeZone, ratePerHour, failures, lastError, lastSentAt, deliveries {status: count}, secret (once, when made)}" }
            """##,
            ##"""
            "RuleChange": { "type": "object", "properties": { "name": { "type": "string", "minLength": 1, "maxLength": 100 }, "tracking": { "type": "string", "enum": ["mentions", "owned", "followed", "users", "admin"] }, "targets": { "type": "array", "maxItems": 100, "items": { "type": "string", "maxLength": 200 }, "description": "followed: type:id (station:jazz); users: user ids or \"following\"" }, "types": { "type": "array", "maxItems": 20, "items": { "type": "string", "maxLength": 100, "description": "an event type glob: station.*" } }, "minSeverity": { "type": "string", "enum": ["info", "warning", "error"] }, "includeOwn": { "type": "boolean" }, "oneShot": { "type": "boolean" }, "enabled": { "type": "boolean" }, "quietStart": { "type": "string", "maxLength": 5 }, "quietEnd": { "type": "string", "maxLength": 5 }, "timeZone": { "type": "string", "maxLength": 64 }, "destinationIds": { "type": "array", "maxItems": 20, "items": { "type": "string" } } } }
            """##,
            ##"""
            "Rule": { "type": "object", "description": "{id, name, tracking, targets, types, minSeverity, includeOwn, oneShot, enabled, quietStart, quietEnd, timeZone, destinationIds, firedCount, lastFiredAt}" }
            """##,
        ],
        parameters: [
            ##"""
            "notificationObject": { "name": "id", "in": "path", "required": true, "schema": { "type": "string" } }
            """##
        ],
        paths: [
            ##"""
            "/notifications": { "get": { "summary": "Your inbox, newest first: {items [{id, eventId, type, severity, title, body, link, ruleIds, createdAt, read}], unread}. The live event stream carries notification.created with the unread count", "parameters": [ { "name": "unread", "in": "query", "schema": { "type": "boolean" } }, { "name": "before", "in": "query", "schema": { "type": "string" } }, { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 200 } } ], "responses": { "200": { "description": "The inbox" }, "400": { "$ref": "#/components/responses/Error" } } } }
            """##,
            ##"""
            "/notifications/unread": { "get": { "summary": "How many are unread: {unread}", "responses": { "200": { "description": "{unread}" } } } }
            """##,
            ##"""
            "/notifications/read": { "post": { "summary": "Mark notifications read (all when ids is omitted): {unread}", "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "properties": { "ids": { "type": "array", "maxItems": 500, "items": { "type": "string" } } } } } } }, "responses": { "200": { "description": "{unread}" }, "400": { "$ref": "#/components/responses/Error" } } } }
            """##,
            ##"""
            "/notification-destinations": {
            "get": { "summary": "Where your notifications go (the inbox always)", "responses": { "200": { "description": "[Destination]" } } },
            "post": { "summary": "Add an email address (sent a confirmation link) or a webhook (sent a test message; used once it answers 2xx)", "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/DestinationChange" } } } }, "responses": { "201": { "description": "Destination", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Destination" } } } }, "400": { "$ref": "#/components/responses/Error" }, "409": { "$ref": "#/components/responses/Error" }, "422": { "$ref": "#/components/responses/Error" } } } }
            """##,
            ##"""
            "/notification-destinations/{id}": {
            "patch": { "summary": "Rename, set the digest and rate limit, turn off or on again", "parameters": [ { "$ref": "#/components/parameters/notificationObject" } ], "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/DestinationChange" } } } }, "responses": { "200": { "description": "Destination" }, "400": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" }, "422": { "$ref": "#/components/responses/Error" } } },
            "delete": { "summary": "Remove a destination", "parameters": [ { "$ref": "#/components/parameters/notificationObject" } ], "responses": { "204": { "description": "Removed" }, "400": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" } } } }
            """##,
            ##"""
            "/notification-destinations/{id}/test": { "post": { "summary": "Send a test message (an unconfirmed address gets its confirmation link again); the outcome shows in lastError/lastSentAt", "parameters": [ { "$ref": "#/components/parameters/notificationObject" } ], "responses": { "202": { "description": "Queued" }, "400": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" } } } }
            """##,
            ##"""
            "/notification-rules": {
            "get": { "summary": "Your rules", "responses": { "200": { "description": "[Rule]" } } },
            "post": { "summary": "Add a rule (to the inbox when no destination is named)", "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/RuleChange" } } } }, "responses": { "201": { "description": "Rule", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Rule" } } } }, "400": { "$ref": "#/components/responses/Error" }, "403": { "$ref": "#/components/responses/Error" }, "409": { "$ref": "#/components/responses/Error" }, "422": { "$ref": "#/components/responses/Error" } } } }
            """##,
            ##"""
            "/notification-rules/preview": { "post": { "summary": "How often a rule would have fired in the last 7 days: {days, matched, examples}", "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/RuleChange" } } } }, "responses": { "200": { "description": "{days, matched, examples}" }, "400": { "$ref": "#/components/responses/Error" }, "403": { "$ref": "#/components/responses/Error" }, "422": { "$ref": "#/components/responses/Error" } } } }
            """##,
            ##"""
            "/notification-rules/{id}": {
            "patch": { "summary": "Change a rule", "parameters": [ { "$ref": "#/components/parameters/notificationObject" } ], "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/RuleChange" } } } }, "responses": { "200": { "description": "Rule" }, "400": { "$ref": "#/components/responses/Error" }, "403": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" }, "422": { "$ref": "#/components/responses/Error" } } },
            "delete": { "summary": "Remove a rule", "parameters": [ { "$ref": "#/components/parameters/notificationObject" } ], "responses": { "204": { "description": "Removed" }, "404": { "$ref": "#/components/responses/Error" } } } }
            """##,
            ##"""
            "/notification-kinds": { "get": { "summary": "The event types rules can name: [{type}]", "responses": { "200": { "description": "[{type}]" } } } }
            """##,
        ])
}

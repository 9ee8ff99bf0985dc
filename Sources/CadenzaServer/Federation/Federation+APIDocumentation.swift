extension FederationFeature {
    /// This feature's part of the OpenAPI document of `/api/v1`.
    static let documentation = APIDocumentation(
        schemas: [
            ##"""
            "Follow": { "type": "object", "description": "{id, direction (out: you follow it; in: it follows something of yours), kind (library, person), object (its ActivityPub id), remoteActor, remote (@user@host), name, status (pending, approved, rejected), libraryId (in: your library), createdAt}" }
            """##,
            ##"""
            "Domain": { "type": "object", "description": "{authority (host or host:port), policy (block, silence, allow or null), rejectMedia, note, deliveries {sent, queued, failed, dropped}, knownActors}" }
            """##,
        ],
        parameters: [
            ##"""
            "federationObject": { "name": "id", "in": "path", "required": true, "schema": { "type": "string" } }
            """##,
            ##"""
            "federationDomain": { "name": "authority", "in": "path", "required": true, "schema": { "type": "string", "maxLength": 300 }, "description": "host or host:port" }
            """##,
        ],
        paths: [
            ##"""
            "/federation/lookup": { "get": { "summary": "Find a person (@user@host, by WebFinger) or a library (its URL) on another server: {kind, id, name, owner, handle, totalItems, manuallyApprovesFollowers}", "parameters": [ { "name": "q", "in": "query", "required": true, "schema": { "type": "string", "maxLength": 1000 } } ], "responses": { "200": { "description": "What was found" }, "400": { "$ref": "#/components/responses/Error" }, "409": { "$ref": "#/components/responses/Error" }, "422": { "$ref": "#/components/responses/Error" }, "502": { "$ref": "#/components/responses/Error" } } } }
            """##,
            ##"""
            "/federation/follows": {
            "get": { "summary": "What you follow on other servers", "responses": { "200": { "description": "[Follow]" } } },
            "post": { "summary": "Follow a library or a person on another server (a Follow is sent; public libraries and people answer at once, others when their owner approves). A library's tracks then join your library, marked remote", "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "properties": { "target": { "type": "string", "maxLength": 1000, "description": "@user@host or a library's URL" } } } } } }, "responses": { "200": { "description": "Already followed: the Follow" }, "201": { "description": "Follow", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Follow" } } } }, "400": { "$ref": "#/components/responses/Error" }, "403": { "$ref": "#/components/responses/Error" }, "409": { "$ref": "#/components/responses/Error" }, "422": { "$ref": "#/components/responses/Error" }, "502": { "$ref": "#/components/responses/Error" } } } }
            """##,
            ##"""
            "/federation/follows/{id}": { "delete": { "summary": "Stop following (an Undo is sent; a library's tracks leave your library)", "parameters": [ { "$ref": "#/components/parameters/federationObject" } ], "responses": { "204": { "description": "Stopped" }, "400": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" }, "409": { "$ref": "#/components/responses/Error" } } } }
            """##,
            ##"""
            "/federation/followers": { "get": { "summary": "Who on other servers follows you and your libraries (administrators: also the libraries no one owns)", "responses": { "200": { "description": "[Follow]" } } } }
            """##,
            ##"""
            "/federation/followers/{id}/approve": { "post": { "summary": "Approve a follower of your library (an Accept naming their Follow is sent; they then read it)", "parameters": [ { "$ref": "#/components/parameters/federationObject" } ], "responses": { "200": { "description": "Follow" }, "400": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" }, "409": { "$ref": "#/components/responses/Error" } } } }
            """##,
            ##"""
            "/federation/followers/{id}/reject": { "post": { "summary": "Refuse (or remove) a follower of your library (a Reject naming their Follow is sent)", "parameters": [ { "$ref": "#/components/parameters/federationObject" } ], "responses": { "200": { "description": "Follow" }, "400": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" }, "409": { "$ref": "#/components/responses/Error" } } } }
            """##,
            ##"""
            "/federation/domains": { "get": { "summary": "Administrators: every other server with a policy or seen, with delivery figures", "responses": { "200": { "description": "[Domain]" }, "403": { "$ref": "#/components/responses/Error" } } } }
            """##,
            ##"""
            "/federation/domains/{authority}": {
            "put": { "summary": "Administrators: block a domain (refused at signature check, deliveries dropped), silence it, or allow it (allow-list mode)", "parameters": [ { "$ref": "#/components/parameters/federationDomain" } ], "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "properties": { "policy": { "type": "string", "enum": ["block", "silence", "allow"] }, "rejectMedia": { "type": "boolean" }, "note": { "type": "string", "maxLength": 1000 } } } } } }, "responses": { "200": { "description": "Domain" }, "400": { "$ref": "#/components/responses/Error" }, "403": { "$ref": "#/components/responses/Error" } } },
            "delete": { "summary": "Administrators: remove a domain's policy", "parameters": [ { "$ref": "#/components/parameters/federationDomain" } ], "responses": { "204": { "description": "Removed" }, "400": { "$ref": "#/components/responses/Error" }, "403": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" } } } }
            """##,
            ##"""
            "/federation/account-blocks": {
            "get": { "summary": "Administrators: accounts on other servers that are blocked: [{actor, handle, note, createdAt}]", "responses": { "200": { "description": "The blocks" }, "403": { "$ref": "#/components/responses/Error" } } },
            "post": { "summary": "Administrators: block one account on another server (its signed requests refused, nothing sent to it, its follows of things here end)", "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "properties": { "account": { "type": "string", "maxLength": 2000, "description": "its actor id, or @user@host of an account this server knows" }, "note": { "type": "string", "maxLength": 1000 } } } } } }, "responses": { "201": { "description": "{actor, handle, note, createdAt}" }, "400": { "$ref": "#/components/responses/Error" }, "403": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" } } },
            "delete": { "summary": "Administrators: lift an account block", "parameters": [ { "name": "account", "in": "query", "required": true, "schema": { "type": "string", "maxLength": 2000 } } ], "responses": { "204": { "description": "Lifted" }, "400": { "$ref": "#/components/responses/Error" }, "403": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" } } } }
            """##,
            ##"""
            "/federation/keys/rotate": { "post": { "summary": "Administrators: a new key pair for a user's actor (or, without username, the server's own); peers fetch it when the old one fails to verify", "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "properties": { "username": { "type": "string", "maxLength": 64 } } } } } }, "responses": { "204": { "description": "Rotated" }, "400": { "$ref": "#/components/responses/Error" }, "403": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" } } } }
            """##,
        ])
}

extension JukeboxFeature {
    /// This feature's part of the OpenAPI document of `/api/v1`.
    static let documentation = APIDocumentation(
        schemas: [
            ##"""
            "RoomChange": { "type": "object", "properties": { "slug": { "type": "string", "pattern": "^[a-z0-9][a-z0-9-]{1,39}$" }, "name": { "type": "string", "minLength": 1, "maxLength": 100 }, "requireAccounts": { "type": "boolean" }, "downvotesToRemove": { "type": "integer", "minimum": 1, "maximum": 100 }, "downvotesToSkip": { "type": "integer", "minimum": 1, "maximum": 100 }, "maxPerGuest": { "type": "integer", "minimum": 0, "maximum": 500 }, "cooldownMinutes": { "type": "integer", "minimum": 0, "maximum": 10080 }, "maxQueue": { "type": "integer", "minimum": 0, "maximum": 5000 }, "locked": { "type": "boolean" }, "closed": { "type": "boolean" }, "autoplay": { "type": "boolean" }, "gain": { "type": "number", "minimum": 0, "maximum": 1 }, "playback": { "type": "string", "enum": ["speaker", "stream"] }, "interactivity": { "type": "string", "enum": ["full_control", "full_voting", "upvotes_only", "no_control"] }, "forbiddenWords": { "type": "array", "maxItems": 100, "items": { "type": "string", "maxLength": 60 } }, "newMusicOnly": { "type": "boolean" } } }
            """##,
            ##"""
            "Room": { "type": "object", "description": "{slug, name, host, me {guestId, name, sharesListens}, joinCode and joinUrl (host), settings, nowPlaying {entryId, track, score, myVote, startedAt, elapsedMs, paused}, queue [{entryId, track, score, myVote, suggestedBy, mine, autoplay, pinned}] in play order, bannedTracks (host)}" }
            """##,
        ],
        parameters: [
            ##"""
            "roomSlug": { "name": "slug", "in": "path", "required": true, "schema": { "type": "string" } }
            """##,
            ##"""
            "roomEntry": { "name": "id", "in": "path", "required": true, "schema": { "type": "string" } }
            """##,
        ],
        paths: [
            ##"""
            "/rooms": {
            "get": { "summary": "Your party rooms", "responses": { "200": { "description": "[{slug, name, closed}]" } } },
            "post": { "summary": "Open a party room; the answer carries its join code (share #/party/SLUG?code=CODE)", "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/RoomChange" } } } }, "responses": { "201": { "description": "The room", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Room" } } } }, "409": { "$ref": "#/components/responses/Error" }, "422": { "$ref": "#/components/responses/Error" } } } }
            """##,
            ##"""
            "/rooms/{slug}": {
            "get": { "summary": "The room as you see it (host or joined guest)", "security": [], "parameters": [ { "$ref": "#/components/parameters/roomSlug" } ], "responses": { "200": { "description": "Room", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Room" } } } }, "403": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" } } },
            "patch": { "summary": "Change the room's settings (host)", "parameters": [ { "$ref": "#/components/parameters/roomSlug" } ], "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/RoomChange" } } } }, "responses": { "200": { "description": "Room" }, "403": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" }, "422": { "$ref": "#/components/responses/Error" } } },
            "delete": { "summary": "Delete the room (host)", "parameters": [ { "$ref": "#/components/parameters/roomSlug" } ], "responses": { "204": { "description": "Deleted" }, "403": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" } } } }
            """##,
            ##"""
            "/rooms/{slug}/join": { "post": { "summary": "Join with the link's code: signed in as yourself, or by name (a cookie keeps your seat)", "security": [], "parameters": [ { "$ref": "#/components/parameters/roomSlug" } ], "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "properties": { "name": { "type": "string", "maxLength": 40 }, "code": { "type": "string", "maxLength": 100 } } } } } }, "responses": { "200": { "description": "Room" }, "401": { "$ref": "#/components/responses/Error" }, "403": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" }, "409": { "$ref": "#/components/responses/Error" }, "422": { "$ref": "#/components/responses/Error" } } } }
            """##,
            ##"""
            "/rooms/{slug}/events": { "get": { "summary": "The room's changes as Server-Sent Events (members): `event: room` with {slug, reason}; read the room again", "security": [], "parameters": [ { "$ref": "#/components/parameters/roomSlug" } ], "responses": { "200": { "description": "text/event-stream" }, "403": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" }, "429": { "$ref": "#/components/responses/Error" } } } }
            """##,
            ##"""
            "/rooms/{slug}/code": { "post": { "summary": "A new join code; the old link stops working (host)", "parameters": [ { "$ref": "#/components/parameters/roomSlug" } ], "responses": { "200": { "description": "Room" }, "403": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" } } } }
            """##,
            ##"""
            "/rooms/{slug}/stream.mp3": { "get": { "summary": "A stream-mode room's mount, MP3 (members, or anyone with the join code in `code`); `Icy-MetaData: 1` gets in-stream titles", "security": [], "parameters": [ { "$ref": "#/components/parameters/roomSlug" }, { "name": "code", "in": "query", "schema": { "type": "string", "maxLength": 100 } } ], "responses": { "200": { "description": "audio/mpeg, endless", "content": { "audio/mpeg": {} } }, "403": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" }, "503": { "$ref": "#/components/responses/Error" } } } }
            """##,
            ##"""
            "/rooms/{slug}/qr.svg": { "get": { "summary": "The join link as a QR code, SVG (host); never cached", "parameters": [ { "$ref": "#/components/parameters/roomSlug" } ], "responses": { "200": { "description": "image/svg+xml", "content": { "image/svg+xml": {} } }, "403": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" }, "422": { "$ref": "#/components/responses/Error" } } } }
            """##,
            ##"""
            "/rooms/{slug}/search": { "get": { "summary": "Search the room's library (members)", "security": [], "parameters": [ { "$ref": "#/components/parameters/roomSlug" }, { "name": "q", "in": "query", "required": true, "schema": { "type": "string", "minLength": 1, "maxLength": 200 } } ], "responses": { "200": { "description": "Tracks" }, "400": { "$ref": "#/components/responses/Error" }, "403": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" } } } }
            """##,
            ##"""
            "/rooms/{slug}/suggestions": { "post": { "summary": "Suggest a track; it starts with your upvote. Refused (409/429) when queued already, played within the cooldown, over your limit or the queue's, too soon after your last, or suggestions are locked", "security": [], "parameters": [ { "$ref": "#/components/parameters/roomSlug" } ], "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["trackId"], "properties": { "trackId": { "type": "string" } } } } } }, "responses": { "201": { "description": "Room" }, "403": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" }, "409": { "$ref": "#/components/responses/Error" }, "422": { "$ref": "#/components/responses/Error" }, "429": { "$ref": "#/components/responses/Error" } } } }
            """##,
            ##"""
            "/rooms/{slug}/entries/{id}/vote": { "put": { "summary": "Your vote on a queued or playing song: -1, 0 or 1 (one per person; changing it moves it). Voted down to the room's thresholds, a queued song leaves and the current one is skipped", "security": [], "parameters": [ { "$ref": "#/components/parameters/roomSlug" }, { "$ref": "#/components/parameters/roomEntry" } ], "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["value"], "properties": { "value": { "type": "integer", "minimum": -1, "maximum": 1 } } } } } }, "responses": { "200": { "description": "{entryId, score, myVote, state}" }, "403": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" }, "409": { "$ref": "#/components/responses/Error" }, "422": { "$ref": "#/components/responses/Error" } } } }
            """##,
            ##"""
            "/rooms/{slug}/me": { "put": { "summary": "A signed-in guest chooses whether the songs played in the room become their listens", "parameters": [ { "$ref": "#/components/parameters/roomSlug" } ], "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["sharesListens"], "properties": { "sharesListens": { "type": "boolean" } } } } } }, "responses": { "200": { "description": "Room" }, "403": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" }, "409": { "$ref": "#/components/responses/Error" } } } }
            """##,
            ##"""
            "/rooms/{slug}/entries/{id}/top": { "post": { "summary": "Play this queued song next, ahead of the score order (host)", "parameters": [ { "$ref": "#/components/parameters/roomSlug" }, { "$ref": "#/components/parameters/roomEntry" } ], "responses": { "200": { "description": "Room" }, "403": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" } } } }
            """##,
            ##"""
            "/rooms/{slug}/banned-tracks/{trackId}": {
            "put": { "summary": "Ban a song from the room: its queued entry leaves, it cannot be suggested or autoplayed (host)", "parameters": [ { "$ref": "#/components/parameters/roomSlug" }, { "name": "trackId", "in": "path", "required": true, "schema": { "type": "string" } } ], "responses": { "200": { "description": "Room" }, "403": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" } } },
            "delete": { "summary": "Allow a banned song again (host)", "parameters": [ { "$ref": "#/components/parameters/roomSlug" }, { "name": "trackId", "in": "path", "required": true, "schema": { "type": "string" } } ], "responses": { "200": { "description": "Room" }, "403": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" } } } }
            """##,
            ##"""
            "/rooms/{slug}/entries/{id}": { "delete": { "summary": "Remove a song from the queue (host)", "parameters": [ { "$ref": "#/components/parameters/roomSlug" }, { "$ref": "#/components/parameters/roomEntry" } ], "responses": { "200": { "description": "Room" }, "403": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" } } } }
            """##,
            ##"""
            "/rooms/{slug}/guests/{id}/ban": {
            "post": { "summary": "Ban a guest from suggesting and voting (host)", "parameters": [ { "$ref": "#/components/parameters/roomSlug" }, { "$ref": "#/components/parameters/roomEntry" } ], "responses": { "204": { "description": "Banned" }, "403": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" } } },
            "delete": { "summary": "Lift a ban (host)", "parameters": [ { "$ref": "#/components/parameters/roomSlug" }, { "$ref": "#/components/parameters/roomEntry" } ], "responses": { "204": { "description": "Lifted" }, "403": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" } } } }
            """##,
            ##"""
            "/rooms/{slug}/control/{action}": { "post": { "summary": "skip, pause, play or clear the queue (host; guests too in a full_control room, but for clear); the room's clock holds through a pause", "parameters": [ { "$ref": "#/components/parameters/roomSlug" }, { "name": "action", "in": "path", "required": true, "schema": { "type": "string", "enum": ["skip", "pause", "play", "clear"] } } ], "responses": { "200": { "description": "Room" }, "403": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" } } } }
            """##,
            ##"""
            "/rooms/{slug}/player/next": { "get": { "summary": "The speaker: the song to play next; it stays queued until the speaker reports it started (host)", "parameters": [ { "$ref": "#/components/parameters/roomSlug" } ], "responses": { "200": { "description": "{entryId, track, score}" }, "403": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" } } } }
            """##,
            ##"""
            "/rooms/{slug}/player/{event}": { "post": { "summary": "The speaker reports started (the song leaves the queue and the clock starts), ended, or failed (marked and passed over)", "parameters": [ { "$ref": "#/components/parameters/roomSlug" }, { "name": "event", "in": "path", "required": true, "schema": { "type": "string", "enum": ["started", "ended", "failed"] } } ], "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["entryId"], "properties": { "entryId": { "type": "string" } } } } } }, "responses": { "200": { "description": "Room" }, "403": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" }, "409": { "$ref": "#/components/responses/Error" } } } }
            """##,
        ])
}

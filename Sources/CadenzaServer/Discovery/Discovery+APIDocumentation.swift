extension DiscoveryFeature {
    /// This feature's part of the OpenAPI document of `/api/v1`.
    static let documentation = APIDocumentation(
        schemas: [
            ##"""
            "Why": { "type": "object", "description": "{reason (because_you_played, because_you_like, similar_to, popular_here), text (a sentence to show), track {id, name} or artist {id, name} behind it}" }
            """##
        ],
        parameters: [
            ##"""
            "discoveryLimit": { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 100 } }
            """##,
            ##"""
            "includeRecent": { "name": "includeRecent", "in": "query", "schema": { "type": "boolean" }, "description": "Also tracks you played in the last 30 days" }
            """##,
            ##"""
            "neverPlayed": { "name": "neverPlayed", "in": "query", "schema": { "type": "boolean" }, "description": "Only tracks you have never played" }
            """##,
        ],
        paths: [
            ##"""
            "/discovery/recommendations": { "get": { "summary": "Tracks recommended to you, best first, each with why: neighbours by co-listening of what you play, tracks of artists you like and of artists like them, what is popular here for new listeners. Only tracks you may see; nothing you played in the last 30 days unless includeRecent", "parameters": [ { "$ref": "#/components/parameters/discoveryLimit" }, { "$ref": "#/components/parameters/includeRecent" }, { "$ref": "#/components/parameters/neverPlayed" } ], "responses": { "200": { "description": "{items: [{track, score, why: Why}]}" }, "400": { "$ref": "#/components/responses/Error" } } } }
            """##,
            ##"""
            "/discovery/recommendations/albums": { "get": { "summary": "Albums recommended to you (recommended tracks summed by album), each with why", "parameters": [ { "$ref": "#/components/parameters/discoveryLimit" }, { "$ref": "#/components/parameters/includeRecent" }, { "$ref": "#/components/parameters/neverPlayed" } ], "responses": { "200": { "description": "{items: [{album, score, why: Why}]}" }, "400": { "$ref": "#/components/responses/Error" } } } }
            """##,
            ##"""
            "/discovery/recommendations/artists": { "get": { "summary": "Artists recommended to you, each with why", "parameters": [ { "$ref": "#/components/parameters/discoveryLimit" }, { "$ref": "#/components/parameters/includeRecent" }, { "$ref": "#/components/parameters/neverPlayed" } ], "responses": { "200": { "description": "{items: [{artist, score, why: Why}]}" }, "400": { "$ref": "#/components/responses/Error" } } } }
            """##,
            ##"""
            "/discovery/mix": { "get": { "summary": "Instant mix: the seed track (or the album's, the artist's) and tracks that continue from it by similarity, no artist twice in a row. Name exactly one seed", "parameters": [ { "name": "track", "in": "query", "schema": { "type": "integer" } }, { "name": "album", "in": "query", "schema": { "type": "integer" } }, { "name": "artist", "in": "query", "schema": { "type": "integer" } }, { "$ref": "#/components/parameters/discoveryLimit" } ], "responses": { "200": { "description": "{items: [Track]}" }, "400": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" } } } }
            """##,
            ##"""
            "/discovery/artists/{id}/similar": { "get": { "summary": "Artists similar to this one: by co-listening, topped up by shared genres", "parameters": [ { "$ref": "#/components/parameters/id" }, { "$ref": "#/components/parameters/discoveryLimit" } ], "responses": { "200": { "description": "{items: [Artist]}" }, "400": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" } } } }
            """##,
            ##"""
            "/discovery/playlists": { "get": { "summary": "Playlists made for you (Daily Mix, Weekly Exploration, On This Day, Rediscover): normal private playlists of yours, replaced in place when their period (your local day or week) turns", "responses": { "200": { "description": "{items: [{kind, name, period, updatedAt, playlist}]}" } } } }
            """##,
            ##"""
            "/discovery/playlists/refresh": { "post": { "summary": "Make your playlists again now (a job)", "responses": { "202": { "description": "{jobId}" } } } }
            """##,
            ##"""
            "/discovery/model": {
            "get": { "summary": "The last build of the similarity model: {model: {builtAt, listeners, tracks, artists, pairs, millis} or null}", "responses": { "200": { "description": "Model" } } },
            "post": { "summary": "Build the similarity model now (administrators; it is also built daily)", "responses": { "202": { "description": "{jobId}" }, "403": { "$ref": "#/components/responses/Error" } } } }
            """##,
        ])
}

extension LibraryFeature {
    /// This feature's part of the OpenAPI document of `/api/v1`.
    public var apiDocumentation: APIDocumentation {
        APIDocumentation(
            schemas: [
                ##"""
                "Library": { "type": "object", "properties": { "id": { "type": "string" }, "name": { "type": "string" }, "visibility": { "type": "string", "enum": ["private", "instance", "public"] }, "kind": { "type": "string", "enum": ["folders", "uploads"] }, "ownerId": { "type": "string" }, "folders": { "type": "array", "items": { "type": "object", "properties": { "id": { "type": "string" }, "path": { "type": "string" }, "lastScanAt": { "type": "string", "format": "date-time" } } } }, "createdAt": { "type": "string", "format": "date-time" } } }
                """##,
                ##"""
                "Artist": { "type": "object", "properties": { "id": { "type": "string" }, "name": { "type": "string" }, "sortName": { "type": "string" }, "mbid": { "type": "string" }, "albumCount": { "type": "integer" }, "trackCount": { "type": "integer" }, "artworkId": { "type": "string" } } }
                """##,
                ##"""
                "Album": { "type": "object", "properties": { "id": { "type": "string" }, "title": { "type": "string" }, "artist": { "$ref": "#/components/schemas/Ref" }, "year": { "type": "integer" }, "originalYear": { "type": "integer" }, "compilation": { "type": "boolean" }, "releaseTypes": { "type": "array", "items": { "type": "string" } }, "mbid": { "type": "string" }, "trackCount": { "type": "integer" }, "durationMs": { "type": "integer" }, "artworkId": { "type": "string" }, "createdAt": { "type": "string", "format": "date-time" } } }
                """##,
                ##"""
                "File": { "type": "object", "properties": { "id": { "type": "string" }, "libraryId": { "type": "string" }, "path": { "type": "string" }, "format": { "type": "string" }, "bitrate": { "type": "integer" }, "sampleRate": { "type": "integer" }, "channels": { "type": "integer" }, "size": { "type": "integer" }, "status": { "type": "string", "enum": ["pending", "imported", "failed"] }, "error": { "type": "string" }, "originalName": { "type": "string" } } }
                """##,
                ##"""
                "Track": { "type": "object", "properties": { "id": { "type": "string" }, "title": { "type": "string" }, "artist": { "type": "string" }, "artists": { "type": "array", "items": { "$ref": "#/components/schemas/Ref" } }, "album": { "$ref": "#/components/schemas/Ref" }, "albumArtist": { "$ref": "#/components/schemas/Ref" }, "discNumber": { "type": "integer" }, "trackNumber": { "type": "integer" }, "durationMs": { "type": "integer" }, "year": { "type": "integer" }, "genre": { "type": "string" }, "genres": { "type": "array", "items": { "type": "string" } }, "mbid": { "type": "string" }, "bpm": { "type": "integer", "description": "beats per minute, from the tags" }, "replayGain": { "type": "object" }, "artworkId": { "type": "string" }, "libraryId": { "type": "string" }, "files": { "type": "array", "items": { "$ref": "#/components/schemas/File" } }, "createdAt": { "type": "string", "format": "date-time" } } }
                """##,
            ],
            parameters: [
                ##"""
                "genre": { "name": "genre", "in": "query", "schema": { "type": "string" } }
                """##,
                ##"""
                "library": { "name": "library", "in": "query", "schema": { "type": "integer" } }
                """##,
                ##"""
                "artist": { "name": "artist", "in": "query", "schema": { "type": "integer" } }
                """##,
                ##"""
                "album": { "name": "album", "in": "query", "schema": { "type": "integer" } }
                """##,
                ##"""
                "fromYear": { "name": "fromYear", "in": "query", "schema": { "type": "integer" } }
                """##,
                ##"""
                "toYear": { "name": "toYear", "in": "query", "schema": { "type": "integer" } }
                """##,
            ],
            paths: [
                ##"""
                "/libraries": {
                "get": { "summary": "Libraries you may see", "responses": { "200": { "description": "OK", "content": { "application/json": { "schema": { "type": "array", "items": { "$ref": "#/components/schemas/Library" } } } } } } },
                "post": { "summary": "Create a library (upload libraries for anyone; folder libraries for admins)",
                  "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["name"], "properties": { "name": { "type": "string" }, "visibility": { "type": "string", "enum": ["private", "instance", "public"] }, "kind": { "type": "string", "enum": ["folders", "uploads"] } } } } } },
                  "responses": { "201": { "description": "Created", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Library" } } } }, "403": { "$ref": "#/components/responses/Error" }, "422": { "$ref": "#/components/responses/Error" } } } }
                """##,
                ##"""
                "/libraries/{id}": { "get": { "summary": "One library", "parameters": [ { "$ref": "#/components/parameters/id" } ], "responses": { "200": { "description": "OK", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Library" } } } }, "404": { "$ref": "#/components/responses/Error" } } } }
                """##,
                ##"""
                "/libraries/{id}/folders": { "post": { "summary": "Add a server folder and scan it (admin)", "parameters": [ { "$ref": "#/components/parameters/id" } ],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["path"], "properties": { "path": { "type": "string" } } } } } },
                "responses": { "201": { "description": "Added" }, "403": { "$ref": "#/components/responses/Error" }, "409": { "$ref": "#/components/responses/Error" }, "422": { "$ref": "#/components/responses/Error" } } } }
                """##,
                ##"""
                "/libraries/{id}/scan": { "post": { "summary": "Queue a scan of every folder (progress and results arrive as events)", "parameters": [ { "$ref": "#/components/parameters/id" } ],
                "requestBody": { "content": { "application/json": { "schema": { "type": "object", "properties": { "full": { "type": "boolean" } } } } } },
                "responses": { "202": { "description": "Queued" }, "403": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" } } } }
                """##,
                ##"""
                "/libraries/{id}/files": { "get": { "summary": "Files of a library with their import status and errors", "parameters": [ { "$ref": "#/components/parameters/id" }, { "$ref": "#/components/parameters/limit" }, { "$ref": "#/components/parameters/offset" }, { "name": "status", "in": "query", "schema": { "type": "string", "enum": ["pending", "imported", "failed"] } } ],
                "responses": { "200": { "description": "OK", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/PageOf" } } } }, "403": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" } } } }
                """##,
                ##"""
                "/artists": { "get": { "summary": "Artists", "parameters": [ { "$ref": "#/components/parameters/limit" }, { "$ref": "#/components/parameters/offset" }, { "name": "sort", "in": "query", "schema": { "type": "string", "enum": ["name", "recent"] } }, { "$ref": "#/components/parameters/genre" }, { "$ref": "#/components/parameters/library" }, { "$ref": "#/components/parameters/artist" }, { "$ref": "#/components/parameters/album" }, { "$ref": "#/components/parameters/fromYear" }, { "$ref": "#/components/parameters/toYear" } ], "responses": { "200": { "description": "OK", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/PageOf" } } } }, "400": { "$ref": "#/components/responses/Error" } } } }
                """##,
                ##"""
                "/artists/{id}": { "get": { "summary": "An artist, their albums and their ten most played tracks (topTracks)", "parameters": [ { "$ref": "#/components/parameters/id" } ], "responses": { "200": { "description": "Artist" }, "404": { "$ref": "#/components/responses/Error" } } } }
                """##,
                ##"""
                "/albums": { "get": { "summary": "Albums", "parameters": [ { "$ref": "#/components/parameters/limit" }, { "$ref": "#/components/parameters/offset" }, { "name": "sort", "in": "query", "schema": { "type": "string", "enum": ["name", "year", "recent", "artist", "random"] } }, { "$ref": "#/components/parameters/genre" }, { "$ref": "#/components/parameters/library" }, { "$ref": "#/components/parameters/artist" }, { "$ref": "#/components/parameters/album" }, { "$ref": "#/components/parameters/fromYear" }, { "$ref": "#/components/parameters/toYear" } ], "responses": { "200": { "description": "OK", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/PageOf" } } } }, "400": { "$ref": "#/components/responses/Error" } } } }
                """##,
                ##"""
                "/albums/{id}": { "get": { "summary": "An album and its tracks", "parameters": [ { "$ref": "#/components/parameters/id" } ], "responses": { "200": { "description": "Album" }, "404": { "$ref": "#/components/responses/Error" } } } }
                """##,
                ##"""
                "/tracks": { "get": { "summary": "Tracks", "parameters": [ { "$ref": "#/components/parameters/limit" }, { "$ref": "#/components/parameters/offset" }, { "name": "sort", "in": "query", "schema": { "type": "string", "enum": ["title", "recent", "year", "album"] } }, { "$ref": "#/components/parameters/genre" }, { "$ref": "#/components/parameters/library" }, { "$ref": "#/components/parameters/artist" }, { "$ref": "#/components/parameters/album" }, { "$ref": "#/components/parameters/fromYear" }, { "$ref": "#/components/parameters/toYear" } ], "responses": { "200": { "description": "OK", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/PageOf" } } } }, "400": { "$ref": "#/components/responses/Error" } } } }
                """##,
                ##"""
                "/tracks/{id}": { "get": { "summary": "One track", "parameters": [ { "$ref": "#/components/parameters/id" } ], "responses": { "200": { "description": "OK", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Track" } } } }, "404": { "$ref": "#/components/responses/Error" } } } }
                """##,
                ##"""
                "/tracks/{id}/lyrics": { "get": { "summary": "A track's lyrics: a sidecar .lrc file, else the embedded lyrics; synced lines carry startMs (no lines when it has none)", "parameters": [ { "$ref": "#/components/parameters/id" } ], "responses": { "200": { "description": "Lyrics", "content": { "application/json": { "schema": { "type": "object", "properties": { "synced": { "type": "boolean" }, "lines": { "type": "array", "items": { "type": "object", "properties": { "startMs": { "type": "integer" }, "text": { "type": "string" } } } } } } } } }, "404": { "$ref": "#/components/responses/Error" } } } }
                """##,
                ##"""
                "/genres": { "get": { "summary": "Genres with counts", "responses": { "200": { "description": "Genres" } } } }
                """##,
                ##"""
                "/search": { "get": { "summary": "Search artists, albums, tracks and the playlists you may see", "parameters": [ { "name": "q", "in": "query", "required": true, "schema": { "type": "string" } }, { "$ref": "#/components/parameters/limit" } ], "responses": { "200": { "description": "Results" }, "400": { "$ref": "#/components/responses/Error" } } } }
                """##,
                ##"""
                "/files/{id}/audio": { "get": { "summary": "Stream a file: raw with HTTP Range, or transcoded with ffmpeg", "parameters": [ { "$ref": "#/components/parameters/id" },
                  { "name": "format", "in": "query", "schema": { "type": "string", "enum": ["raw", "mp3", "opus", "aac"] } },
                  { "name": "maxBitRate", "in": "query", "schema": { "type": "integer" } }, { "name": "timeOffset", "in": "query", "schema": { "type": "number" } },
                  { "name": "Range", "in": "header", "schema": { "type": "string" } } ],
                "responses": { "200": { "description": "Audio" }, "206": { "description": "Partial audio" }, "404": { "$ref": "#/components/responses/Error" }, "416": { "$ref": "#/components/responses/Error" } } } }
                """##,
                ##"""
                "/artwork/{id}": { "get": { "summary": "Cover art, optionally resized", "parameters": [ { "$ref": "#/components/parameters/id" }, { "name": "size", "in": "query", "schema": { "type": "integer" } } ],
                "responses": { "200": { "description": "Image" }, "304": { "description": "Not modified" }, "404": { "$ref": "#/components/responses/Error" } } } }
                """##,
                ##"""
                "/uploads": {
                "get": { "summary": "Your uploads and their import status", "parameters": [ { "$ref": "#/components/parameters/limit" }, { "$ref": "#/components/parameters/offset" }, { "name": "status", "in": "query", "schema": { "type": "string" } } ], "responses": { "200": { "description": "OK", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/PageOf" } } } } } },
                "post": { "summary": "Upload audio files (multipart/form-data, any file fields); imported by a job",
                  "parameters": [ { "$ref": "#/components/parameters/library" } ],
                  "requestBody": { "required": true, "content": { "multipart/form-data": { "schema": { "type": "object", "properties": { "files": { "type": "array", "items": { "type": "string", "format": "binary" } } } } } } },
                  "responses": { "201": { "description": "Per-file results: pending, duplicate or rejected" }, "400": { "$ref": "#/components/responses/Error" }, "403": { "$ref": "#/components/responses/Error" }, "413": { "$ref": "#/components/responses/Error" }, "415": { "$ref": "#/components/responses/Error" } } } }
                """##,
                ##"""
                "/playlists": {
                "get": { "summary": "Playlists you may see: yours, public ones (all for administrators)", "responses": { "200": { "description": "[Playlist]" } } },
                "post": { "summary": "Create a playlist", "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["name"], "properties": { "name": { "type": "string" }, "isPublic": { "type": "boolean" }, "trackIds": { "type": "array", "items": { "type": "string" } } } } } } },
                  "responses": { "201": { "description": "The playlist with its tracks" }, "404": { "$ref": "#/components/responses/Error" }, "422": { "$ref": "#/components/responses/Error" } } } }
                """##,
                ##"""
                "/playlists/{id}": {
                "get": { "summary": "A playlist with its tracks in order", "parameters": [ { "$ref": "#/components/parameters/id" } ], "responses": { "200": { "description": "Playlist" }, "404": { "$ref": "#/components/responses/Error" } } },
                "patch": { "summary": "Rename, make public/private, replace the order (trackIds) or append (addTrackIds); owner only", "parameters": [ { "$ref": "#/components/parameters/id" } ],
                  "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "properties": { "name": { "type": "string" }, "isPublic": { "type": "boolean" }, "trackIds": { "type": "array", "items": { "type": "string" } }, "addTrackIds": { "type": "array", "items": { "type": "string" } } } } } } },
                  "responses": { "200": { "description": "Playlist" }, "403": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" } } },
                "delete": { "summary": "Delete a playlist; owner only", "parameters": [ { "$ref": "#/components/parameters/id" } ], "responses": { "204": { "description": "Deleted" }, "403": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" } } } }
                """##,
                ##"""
                "/stars": { "get": { "summary": "Your starred tracks, albums and artists", "responses": { "200": { "description": "{tracks, albums, artists}" } } } }
                """##,
                ##"""
                "/ratings": { "get": { "summary": "Your ratings (1 to 5) by kind and id", "responses": { "200": { "description": "{tracks: {id: rating}, albums: {...}, artists: {...}}" } } } }
                """##,
                ##"""
                "/ratings/{type}/{id}": {
                "put": { "summary": "Rate a track, album or artist (0 clears the rating)", "parameters": [ { "name": "type", "in": "path", "required": true, "schema": { "type": "string", "enum": ["track", "album", "artist"] } }, { "$ref": "#/components/parameters/id" } ],
                  "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["rating"], "properties": { "rating": { "type": "integer", "minimum": 0, "maximum": 5 } } } } } },
                  "responses": { "204": { "description": "Rated" }, "404": { "$ref": "#/components/responses/Error" }, "422": { "$ref": "#/components/responses/Error" } } } }
                """##,
                ##"""
                "/stars/{type}/{id}": {
                "put": { "summary": "Star a track, album or artist", "parameters": [ { "name": "type", "in": "path", "required": true, "schema": { "type": "string", "enum": ["track", "album", "artist"] } }, { "$ref": "#/components/parameters/id" } ], "responses": { "204": { "description": "Starred" }, "404": { "$ref": "#/components/responses/Error" } } },
                "delete": { "summary": "Remove a star", "parameters": [ { "name": "type", "in": "path", "required": true, "schema": { "type": "string", "enum": ["track", "album", "artist"] } }, { "$ref": "#/components/parameters/id" } ], "responses": { "204": { "description": "Unstarred" } } } }
                """##,
            ]
        )
    }
}

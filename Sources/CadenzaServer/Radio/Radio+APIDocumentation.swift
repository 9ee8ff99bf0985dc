extension RadioFeature {
    /// This feature's part of the OpenAPI document of `/api/v1`.
    static let documentation = APIDocumentation(
        schemas: [
            ##"""
            "Station": { "type": "object", "properties": { "id": { "type": "string" }, "slug": { "type": "string" }, "artworkUrl": { "type": "string", "nullable": true, "description": "the station's picture (add size=N for a smaller one)" }, "name": { "type": "string" }, "description": { "type": "string" }, "timeZone": { "type": "string" }, "visibility": { "type": "string", "enum": ["public", "unlisted", "private"] }, "ownerId": { "type": "string" }, "outputs": { "type": "array", "items": { "type": "string", "enum": ["mp3", "aac", "hls"] } }, "mounts": { "type": "array", "items": { "type": "string" } }, "crossfadeMs": { "type": "integer" }, "crossfadeCurve": { "type": "string", "enum": ["equalPower", "linear", "sCurve"] }, "maxListeners": { "type": "integer" }, "bitrate": { "type": "integer", "description": "kb/s of every output" }, "trackGapMinutes": { "type": "integer" }, "artistGapMinutes": { "type": "integer" }, "jinglePlaylistId": { "type": "string" }, "jingleEvery": { "type": "integer" }, "jingleMinute": { "type": "integer" }, "recordLive": { "type": "boolean" }, "targetLufs": { "type": "integer", "description": "the loudness every item is brought to; absent when the station does not normalise" }, "pushUrl": { "type": "string" }, "createdAt": { "type": "string", "format": "date-time" }, "canManage": { "type": "boolean", "description": "whether the caller may change the station (its owner, one of its managers, an administrator); absent when not signed in" } } }
            """##,
            ##"""
            "StationChange": { "type": "object", "properties": { "slug": { "type": "string", "pattern": "^[a-z0-9][a-z0-9-]{1,39}$" }, "name": { "type": "string", "minLength": 1, "maxLength": 100 }, "description": { "type": "string", "maxLength": 2000 }, "timeZone": { "type": "string" }, "visibility": { "type": "string", "enum": ["public", "unlisted", "private"] }, "outputs": { "type": "array", "items": { "type": "string", "enum": ["mp3", "aac", "hls"] } }, "crossfadeMs": { "type": "integer", "minimum": 0, "maximum": 10000 }, "crossfadeCurve": { "type": "string", "enum": ["equalPower", "linear", "sCurve"], "description": "how the levels cross: equal power (the loudness holds; default), linear, or an S-curve (each song stays near full level longer)" }, "maxListeners": { "type": "integer", "minimum": 1, "maximum": 100000, "description": "listeners each mount takes at once (default 1000); more are answered 503 listener_limit; a change keeps the stream and those connected" }, "bitrate": { "type": "integer", "enum": [32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320], "description": "kb/s of every output (the mounts, HLS and the push); a change takes the station off air for a moment. Default 128" }, "trackGapMinutes": { "type": "integer", "minimum": 0, "maximum": 1440, "description": "no track again within this many minutes (default 60)" }, "artistGapMinutes": { "type": "integer", "minimum": 0, "maximum": 1440, "description": "no artist again within this many minutes (default 20)" }, "jinglePlaylistId": { "type": "string", "description": "one of the station's playlists whose tracks are its station IDs; empty for none" }, "jingleEvery": { "type": "integer", "minimum": 0, "maximum": 100, "description": "a station ID after every this many songs of the rotation (0: none)" }, "jingleMinute": { "type": "integer", "minimum": -1, "maximum": 59, "description": "a station ID once an hour, at the first song change after this minute (station time); -1 for none" }, "targetLufs": { "type": "integer", "minimum": -30, "maximum": -10, "description": "loudness target (integrated LUFS) for the analysed tracks; default -16" }, "normalize": { "type": "boolean", "description": "false airs files at their own loudness" }, "recordLive": { "type": "boolean", "description": "record live sets (as sent) into the library 'NAME – live sets'" }, "pushUrl": { "type": "string", "description": "icecast://source:password@host:port/mount (administrators); empty to stop" } } }
            """##,
            ##"""
            "Show": { "type": "object", "properties": { "id": { "type": "string" }, "title": { "type": "string" }, "artworkUrl": { "type": "string", "nullable": true, "description": "the show's picture" }, "hosts": { "type": "array", "items": { "type": "string" } }, "description": { "type": "string" }, "playlistId": { "type": "string" }, "introTrackId": { "type": "string" }, "outroTrackId": { "type": "string" }, "startDate": { "type": "string", "format": "date" }, "startTime": { "type": "string" }, "durationMinutes": { "type": "integer" }, "repeat": { "type": "string", "enum": ["once", "daily", "weekly", "monthly"] }, "every": { "type": "integer" }, "weekdays": { "type": "array", "items": { "type": "string" } }, "monthlyBy": { "type": "string", "enum": ["date", "weekday", "lastWeekday"] }, "until": { "type": "string", "format": "date" } } }
            """##,
            ##"""
            "ShowChange": { "type": "object", "description": "Dates and times are the station's local wall time; a show keeps its wall time across DST changes (a start in the spring-forward gap airs after it, one in the repeated hour at the first of the two)", "properties": { "title": { "type": "string", "minLength": 1, "maxLength": 200 }, "hosts": { "type": "array", "maxItems": 10, "items": { "type": "string", "maxLength": 100 } }, "description": { "type": "string", "maxLength": 2000 }, "playlistId": { "type": "string", "description": "one of the station's playlists; empty for none (the rotation fills the show)" }, "introTrackId": { "type": "string", "description": "A track aired at each occurrence's start; \"\" clears it" }, "outroTrackId": { "type": "string", "description": "A track aired so that it ends at each occurrence's end, cutting the content where it begins; \"\" clears it" }, "startDate": { "type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$" }, "startTime": { "type": "string", "pattern": "^[0-9]{2}:[0-9]{2}(:[0-9]{2})?$" }, "durationMinutes": { "type": "integer", "minimum": 1, "maximum": 1440 }, "repeat": { "type": "string", "enum": ["once", "daily", "weekly", "monthly"] }, "every": { "type": "integer", "minimum": 1, "maximum": 12 }, "weekdays": { "type": "array", "items": { "type": "string", "enum": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] } }, "monthlyBy": { "type": "string", "enum": ["date", "weekday", "lastWeekday"] }, "until": { "type": "string", "description": "last date an occurrence may fall on; empty for none" } } }
            """##,
            ##"""
            "Occurrence": { "type": "object", "properties": { "showId": { "type": "string" }, "title": { "type": "string" }, "hosts": { "type": "array", "items": { "type": "string" } }, "date": { "type": "string", "format": "date" }, "start": { "type": "string", "format": "date-time" }, "end": { "type": "string", "format": "date-time" }, "localStart": { "type": "string" }, "localEnd": { "type": "string" }, "playlistId": { "type": "string" }, "cancelled": { "type": "boolean" }, "moved": { "type": "boolean" } } }
            """##,
            ##"""
            "RadioPlaylistChange": { "type": "object", "properties": { "name": { "type": "string", "minLength": 1, "maxLength": 200 }, "entries": { "type": "array", "maxItems": 2000, "items": { "type": "object", "required": ["trackId"], "properties": { "trackId": { "type": "string" }, "cueInMs": { "type": "integer", "minimum": 0 }, "cueOutMs": { "type": "integer", "minimum": 1 }, "fadeInMs": { "type": "integer", "minimum": 0, "maximum": 10000, "description": "the crossfade into this entry, instead of the station's" }, "fadeOutMs": { "type": "integer", "minimum": 0, "maximum": 10000, "description": "the crossfade out of it (the shorter wins where the next entry has a fade-in)" } } } }, "trackIds": { "type": "array", "maxItems": 2000, "items": { "type": "string" } }, "kind": { "type": "string", "enum": ["static", "smart"] }, "smart": { "$ref": "#/components/schemas/SmartBlock" }, "rotationWeight": { "type": "integer", "minimum": 0, "maximum": 25, "description": "share of the autoDJ rotation (0: not in it); with no playlist in the rotation the whole library plays" } } }
            """##,
            ##"""
            "SmartBlock": { "type": "object", "description": "Tracks chosen by rules when the block airs (text compared case-folded)", "properties": { "criteria": { "type": "object", "required": ["all", "groups"], "properties": { "all": { "type": "boolean", "description": "every group must match (else any)" }, "groups": { "type": "array", "maxItems": 10, "items": { "type": "object", "required": ["all", "rules"], "properties": { "all": { "type": "boolean" }, "rules": { "type": "array", "maxItems": 20, "items": { "type": "object", "required": ["field", "op", "value"], "properties": { "field": { "type": "string", "enum": ["title", "artist", "album", "genre", "year", "duration", "added", "rating", "playCount", "replayGain", "bpm"] }, "op": { "type": "string", "enum": ["is", "isNot", "contains", "notContains", "startsWith", "lessThan", "greaterThan", "between", "inLastDays", "notInLastDays"] }, "value": { "type": "string", "maxLength": 200, "description": "text, or a number (duration in seconds, rating in stars, added in days)" }, "to": { "type": "string", "maxLength": 200, "description": "upper bound of between" } } } } } } } } }, "sort": { "type": "string", "enum": ["random", "newest", "leastRecentlyPlayed"] }, "limitItems": { "type": "integer", "minimum": 1, "maximum": 2000 }, "limitMinutes": { "type": "integer", "minimum": 1, "maximum": 1440 }, "overrun": { "type": "boolean", "description": "with limitMinutes: the last track may run past it" } } }
            """##,
        ],
        parameters: [
            ##"""
            "slug": { "name": "slug", "in": "path", "required": true, "schema": { "type": "string" } }
            """##,
            ##"""
            "showId": { "name": "id", "in": "path", "required": true, "schema": { "type": "string" } }
            """##,
            ##"""
            "occurrenceDate": { "name": "date", "in": "path", "required": true, "schema": { "type": "string", "format": "date" }, "description": "the local date the show's rule gives the occurrence" }
            """##,
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
            "/stations/{slug}/artwork": {
            "get": { "summary": "The station's picture (whoever may hear the station; public stations need no sign-in)", "security": [], "parameters": [ { "$ref": "#/components/parameters/slug" }, { "name": "size", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 4096 } } ], "responses": { "200": { "description": "The image" }, "404": { "$ref": "#/components/responses/Error" } } },
            "put": { "summary": "Set the station's picture (owner, managers, administrators): the image itself as the body, JPEG, PNG, WebP or GIF, at most 5 MB and 8000 pixels a side", "parameters": [ { "$ref": "#/components/parameters/slug" } ],
              "requestBody": { "required": true, "content": { "image/*": { "schema": { "type": "string", "format": "binary" } } } },
              "responses": { "200": { "description": "Station" }, "403": { "$ref": "#/components/responses/Error" }, "413": { "$ref": "#/components/responses/Error" }, "415": { "$ref": "#/components/responses/Error" }, "422": { "$ref": "#/components/responses/Error" } } },
            "delete": { "summary": "Remove the station's picture", "parameters": [ { "$ref": "#/components/parameters/slug" } ], "responses": { "204": { "description": "Removed" }, "403": { "$ref": "#/components/responses/Error" } } } }
            """##,
            ##"""
            "/stations/{slug}/shows/{id}/artwork": {
            "get": { "summary": "A show's picture", "security": [], "parameters": [ { "$ref": "#/components/parameters/slug" }, { "$ref": "#/components/parameters/showId" }, { "name": "size", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 4096 } } ], "responses": { "200": { "description": "The image" }, "404": { "$ref": "#/components/responses/Error" } } },
            "put": { "summary": "Set a show's picture (as the station's)", "parameters": [ { "$ref": "#/components/parameters/slug" }, { "$ref": "#/components/parameters/showId" } ],
              "requestBody": { "required": true, "content": { "image/*": { "schema": { "type": "string", "format": "binary" } } } },
              "responses": { "200": { "description": "Show" }, "403": { "$ref": "#/components/responses/Error" }, "413": { "$ref": "#/components/responses/Error" }, "415": { "$ref": "#/components/responses/Error" }, "422": { "$ref": "#/components/responses/Error" } } },
            "delete": { "summary": "Remove a show's picture", "parameters": [ { "$ref": "#/components/parameters/slug" }, { "$ref": "#/components/parameters/showId" } ], "responses": { "204": { "description": "Removed" } } } }
            """##,
            ##"""
            "/stations/{slug}/tracks/{trackId}/artwork": {
            "get": { "summary": "The cover of a track the station aired in the last 24 hours, airs now or plays next (to whoever may hear the station)", "security": [], "parameters": [ { "$ref": "#/components/parameters/slug" }, { "name": "trackId", "in": "path", "required": true, "schema": { "type": "string" } }, { "name": "size", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 4096 } } ], "responses": { "200": { "description": "The image" }, "404": { "$ref": "#/components/responses/Error" } } } }
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
            "/stations/{slug}/now-playing": { "get": { "summary": "What the station airs (with playedAt, the instant its first sample airs on the station clock), what is next, what aired, listeners, and per output how long after playedAt a listener connecting now hears it (HLS program date-times are on the playedAt clock); public stations need no sign-in", "security": [], "parameters": [ { "$ref": "#/components/parameters/slug" } ], "responses": { "200": { "description": "{station, name, onAir, nowPlaying, show (the show on air: id, title, start, end), playingNext, songHistory, listeners, outputs: [{output, path, delayMs}], artworkUrl (the show on air's picture, else the station's)}" }, "404": { "$ref": "#/components/responses/Error" } } } }
            """##,
            ##"""
            "/stations/{slug}/skip": { "post": { "summary": "End the current item now (owner or administrator); a station aired by another process (cadenza playout) skips within half a second; 409 when no process airs it", "parameters": [ { "$ref": "#/components/parameters/slug" } ], "responses": { "202": { "description": "Skipped" }, "403": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" }, "409": { "$ref": "#/components/responses/Error" } } } }
            """##,
            ##"""
            "/stations/{slug}/next": { "post": { "summary": "Air a track right after the current item, before the rotation's choice (owner or administrator); passed to the process that airs the station; 409 when none does", "parameters": [ { "$ref": "#/components/parameters/slug" } ],
              "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["trackId"], "properties": { "trackId": { "type": "string" } } } } } },
              "responses": { "202": { "description": "{trackId, title, artist, text}" }, "403": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" }, "409": { "$ref": "#/components/responses/Error" }, "422": { "$ref": "#/components/responses/Error" } } } }
            """##,
            ##"""
            "/stations/{slug}/listeners": { "get": { "summary": "Listeners now per output and per player (User-Agent), and listening minutes and peak listeners per day in the station's time zone (owner or administrator)", "parameters": [ { "$ref": "#/components/parameters/slug" }, { "name": "days", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 366 } } ], "responses": { "200": { "description": "{current: {mp3: n}, userAgents: [{agent, listeners}], days: [{day, listeningMinutes, peakListeners}]}" }, "400": { "$ref": "#/components/responses/Error" }, "403": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" } } } }
            """##,
            ##"""
            "/stations/{slug}/history": { "get": { "summary": "The as-run log, newest first (its managers); format=csv for royalty reports (with album, year and MusicBrainz recording)", "parameters": [ { "$ref": "#/components/parameters/slug" }, { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 100000, "description": "default 500, or 100000 with from or to" } }, { "name": "from", "in": "query", "schema": { "type": "string", "format": "date" }, "description": "first day, in the station's time zone" }, { "name": "to", "in": "query", "schema": { "type": "string", "format": "date" }, "description": "last day, included" }, { "name": "format", "in": "query", "schema": { "type": "string", "enum": ["json", "csv"] } } ], "responses": { "200": { "description": "Entries {trackId, title, artist, source, startedAt, durationMs} or CSV" }, "400": { "$ref": "#/components/responses/Error" }, "403": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" }, "422": { "$ref": "#/components/responses/Error" } } } }
            """##,
            ##"""
            "/stations/{slug}/schedule": { "get": { "summary": "The station's calendar: show occurrences from a local date for some days, cancelled ones included (whoever may hear the station)", "security": [], "parameters": [ { "$ref": "#/components/parameters/slug" }, { "name": "from", "in": "query", "schema": { "type": "string", "format": "date" } }, { "name": "days", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 62 } } ], "responses": { "200": { "description": "Occurrences", "content": { "application/json": { "schema": { "type": "array", "items": { "$ref": "#/components/schemas/Occurrence" } } } } }, "400": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" }, "422": { "$ref": "#/components/responses/Error" } } } }
            """##,
            ##"""
            "/stations/{slug}/shows": {
            "get": { "summary": "The station's shows", "security": [], "parameters": [ { "$ref": "#/components/parameters/slug" } ], "responses": { "200": { "description": "Shows", "content": { "application/json": { "schema": { "type": "array", "items": { "$ref": "#/components/schemas/Show" } } } } }, "404": { "$ref": "#/components/responses/Error" } } },
            "post": { "summary": "Create a show (owner or administrator); one that would air at the same time as another is refused", "parameters": [ { "$ref": "#/components/parameters/slug" } ],
              "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ShowChange" } } } },
              "responses": { "201": { "description": "The show" }, "403": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" }, "409": { "$ref": "#/components/responses/Error" }, "422": { "$ref": "#/components/responses/Error" } } } }
            """##,
            ##"""
            "/stations/{slug}/shows/{id}": {
            "get": { "summary": "A show", "security": [], "parameters": [ { "$ref": "#/components/parameters/slug" }, { "$ref": "#/components/parameters/showId" } ], "responses": { "200": { "description": "Show" }, "404": { "$ref": "#/components/responses/Error" } } },
            "patch": { "summary": "Change a show; the future schedule follows", "parameters": [ { "$ref": "#/components/parameters/slug" }, { "$ref": "#/components/parameters/showId" } ],
              "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ShowChange" } } } },
              "responses": { "200": { "description": "Show" }, "403": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" }, "409": { "$ref": "#/components/responses/Error" }, "422": { "$ref": "#/components/responses/Error" } } },
            "delete": { "summary": "Delete a show", "parameters": [ { "$ref": "#/components/parameters/slug" }, { "$ref": "#/components/parameters/showId" } ], "responses": { "204": { "description": "Deleted" }, "403": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" } } } }
            """##,
            ##"""
            "/stations/{slug}/shows/{id}/occurrences/{date}": {
            "put": { "summary": "Cancel one occurrence, move it (startDate, startTime) or give it another playlist", "parameters": [ { "$ref": "#/components/parameters/slug" }, { "$ref": "#/components/parameters/showId" }, { "$ref": "#/components/parameters/occurrenceDate" } ],
              "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "properties": { "cancelled": { "type": "boolean" }, "startDate": { "type": "string" }, "startTime": { "type": "string" }, "playlistId": { "type": "string" } } } } } },
              "responses": { "200": { "description": "The occurrence", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Occurrence" } } } }, "403": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" }, "409": { "$ref": "#/components/responses/Error" }, "422": { "$ref": "#/components/responses/Error" } } },
            "delete": { "summary": "Let the occurrence air as the show's rule says again", "parameters": [ { "$ref": "#/components/parameters/slug" }, { "$ref": "#/components/parameters/showId" }, { "$ref": "#/components/parameters/occurrenceDate" } ], "responses": { "204": { "description": "Restored" }, "403": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" }, "409": { "$ref": "#/components/responses/Error" } } } }
            """##,
            ##"""
            "/stations/{slug}/playlists": {
            "get": { "summary": "The station's own playlists (owner or administrator)", "parameters": [ { "$ref": "#/components/parameters/slug" } ], "responses": { "200": { "description": "Playlists {id, name, entryCount, updatedAt}" }, "403": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" } } },
            "post": { "summary": "Create a station playlist (tracks the station may air, with optional cue points) or a smart block (rules), optionally in the rotation", "parameters": [ { "$ref": "#/components/parameters/slug" } ],
              "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/RadioPlaylistChange" } } } },
              "responses": { "201": { "description": "The playlist with its entries" }, "403": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" }, "409": { "$ref": "#/components/responses/Error" }, "422": { "$ref": "#/components/responses/Error" } } } }
            """##,
            ##"""
            "/stations/{slug}/playlists/preview": {
            "post": { "summary": "What a smart block's rules match now (count and length) and the first tracks it would air: the live preview", "parameters": [ { "$ref": "#/components/parameters/slug" } ],
              "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["smart"], "properties": { "smart": { "$ref": "#/components/schemas/SmartBlock" } } } } } },
              "responses": { "200": { "description": "{matching: {tracks, durationMs}, tracks, durationMs}" }, "403": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" }, "422": { "$ref": "#/components/responses/Error" } } } }
            """##,
            ##"""
            "/stations/{slug}/playlists/{id}": {
            "get": { "summary": "A station playlist with its entries", "parameters": [ { "$ref": "#/components/parameters/slug" }, { "$ref": "#/components/parameters/showId" } ], "responses": { "200": { "description": "Playlist" }, "403": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" } } },
            "put": { "summary": "Rename it or replace its entries; the future schedule follows", "parameters": [ { "$ref": "#/components/parameters/slug" }, { "$ref": "#/components/parameters/showId" } ],
              "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/RadioPlaylistChange" } } } },
              "responses": { "200": { "description": "Playlist" }, "403": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" }, "422": { "$ref": "#/components/responses/Error" } } },
            "delete": { "summary": "Delete it (shows that aired it fall back to the rotation)", "parameters": [ { "$ref": "#/components/parameters/slug" }, { "$ref": "#/components/parameters/showId" } ], "responses": { "204": { "description": "Deleted" }, "403": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" } } } }
            """##,
            ##"""
            "/stations/{slug}/djs": {
            "get": { "summary": "Who may go live on the station besides its owner and the administrators (owner or administrator)", "parameters": [ { "$ref": "#/components/parameters/slug" } ], "responses": { "200": { "description": "{usernames}" }, "403": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" } } },
            "put": { "summary": "Set the station's DJs by username; each connects a source client to the live port (CADENZA_RADIO_LIVE_PORT) at /live/SLUG with their own username and password", "parameters": [ { "$ref": "#/components/parameters/slug" } ],
              "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["usernames"], "properties": { "usernames": { "type": "array", "maxItems": 100, "items": { "type": "string", "maxLength": 64 } } } } } } },
              "responses": { "200": { "description": "{usernames}" }, "403": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" }, "422": { "$ref": "#/components/responses/Error" } } } }
            """##,
            ##"""
            "/stations/{slug}/managers": {
            "get": { "summary": "Who runs the station besides its owner and the administrators (its managers may read this)", "parameters": [ { "$ref": "#/components/parameters/slug" } ], "responses": { "200": { "description": "{usernames}" }, "403": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" } } },
            "put": { "summary": "Set the station's managers by username (owner or administrator): they change it as its owner does (settings, shows, playlists, DJs, skip, play next), hear it when it is private and may go live, but may not delete it or name managers", "parameters": [ { "$ref": "#/components/parameters/slug" } ],
              "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["usernames"], "properties": { "usernames": { "type": "array", "maxItems": 20, "items": { "type": "string", "maxLength": 64 } } } } } } },
              "responses": { "200": { "description": "{usernames}" }, "403": { "$ref": "#/components/responses/Error" }, "404": { "$ref": "#/components/responses/Error" }, "422": { "$ref": "#/components/responses/Error" } } } }
            """##,
        ])
}

import Fluent
import Foundation
import SQLKit
import Vapor

/// `/api/v1/rooms`: party rooms. The host (a signed-in user) creates one and shares its join
/// link; guests join by name (or as themselves when signed in), search the room's library,
/// suggest and vote; the host's speaker page plays the queue and confirms each start.
enum RoomsController {
    struct Change: Decodable {
        var slug: String?
        var name: String?
        var requireAccounts: Bool?
        var downvotesToRemove: Int?
        var downvotesToSkip: Int?
        var maxPerGuest: Int?
        var cooldownMinutes: Int?
        var maxQueue: Int?
        var locked: Bool?
        var autoplay: Bool?
        var closed: Bool?
        var gain: Double?
        var playback: String?
        var interactivity: String?
        var forbiddenWords: [String]?
        var newMusicOnly: Bool?
    }

    struct Join: Decodable {
        var name: String?
        var code: String?
    }

    /// A track, or a whole album (its tracks in order, each a suggestion of its own).
    struct Suggest: Decodable {
        var trackId: String?
        var albumId: String?
    }

    struct Vote: Decodable {
        var value: Int
    }

    struct PlayerReport: Decodable {
        var entryId: String
    }

    /// Who is asking, in a room: its host, or one of its guests.
    struct Member {
        var room: RoomRecord
        var guest: RoomGuest?
        var isHost: Bool
    }

    static let maxRoomsPerUser = 10
    static let maxGuests = 1_000
    static let maxJoinsPerAddressHour = 200

    static func room(_ req: Request) async throws -> RoomRecord {
        guard let slug = req.parameters.get("slug"), Stations.validSlug(slug), let room = try await Rooms.find(slug: slug, on: req.sql) else {
            throw APIError.notFound("Room")
        }
        return room
    }

    static func member(_ req: Request, room: RoomRecord) async throws -> Member {
        if let principal = req.auth.get(Principal.self) {
            let guest = try await RoomGuests.find(roomID: room.id, userID: principal.userID, on: req.sql)
            if principal.userID == room.ownerID || principal.isAdmin {
                return Member(room: room, guest: guest, isHost: true)
            }
            if let guest { return Member(room: room, guest: guest, isHost: false) }
        }
        if let session = req.cookies[RoomGuests.cookieName(room)]?.string, session.count <= 100,
            let guest = try await RoomGuests.find(roomID: room.id, session: session, on: req.sql)
        {
            return Member(room: room, guest: guest, isHost: false)
        }
        throw APIError(status: .forbidden, code: "not_joined", message: "Join the room first.")
    }

    static func host(_ req: Request) async throws -> Member {
        let member = try await member(req, room: try await room(req))
        guard member.isHost else { throw APIError.forbidden("Only the room's host may do this.") }
        return member
    }

    /// The host takes part as a guest too (their votes and suggestions are theirs).
    static func hostGuest(_ req: Request, member: Member) async throws -> RoomGuest {
        if let guest = member.guest { return guest }
        let principal = try req.requireUser()
        do {
            return try await RoomGuests.seat(roomID: member.room.id, userID: principal.userID, username: principal.username, on: req.sql)
        } catch let refusal as RoomQueue.Refusal {
            throw APIError.conflict(refusal.message)
        }
    }

    /// What a room plays from: the host's own libraries and the shared ones. Never every
    /// private library, even in an administrator's room: guests are not administrators.
    static func libraries(of room: RoomRecord, on db: any Database) async throws -> [Int64] {
        Libraries.visibleIDs(userID: room.ownerID, isAdmin: false, in: try await Libraries.visibilityTable(on: db.sql))
    }

    @Sendable static func list(req: Request) async throws -> [RoomSummaryDTO] {
        try await Rooms.owned(by: try req.requireUser().userID, on: req.sql).map { RoomSummaryDTO(slug: $0.slug, name: $0.name, closed: $0.closed) }
    }

    @Sendable static func create(req: Request) async throws -> Response {
        let viewer = try req.requireUser()
        let change = try await req.decodeJSON(Change.self)
        guard let slug = change.slug, Stations.validSlug(slug) else {
            throw APIError.unprocessable("slug must be 2 to 40 lower-case letters, digits and hyphens (it is part of the join link).")
        }
        let name = (change.name ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...100).contains(name.count) else { throw APIError.unprocessable("name must be 1 to 100 characters.") }
        guard try await Rooms.owned(by: viewer.userID, on: req.sql).count < maxRoomsPerUser else {
            throw APIError.conflict("You have \(maxRoomsPerUser) rooms, the limit; delete one first.")
        }
        let sealed = try req.application.secretBox.seal(Secrets.randomToken(bytes: 9))
        // The settings are checked before the room exists: a refused one leaves nothing behind.
        var probe = try RoomRecord.defaults(slug: slug, name: name, ownerID: viewer.userID, codeSealed: sealed)
        try apply(change, to: &probe)
        guard
            var room = try await Rooms.create(
                slug: slug, name: name, ownerID: viewer.userID, codeSealed: sealed, requireAccounts: change.requireAccounts ?? false, on: req.sql)
        else { throw APIError.conflict("A room called \(slug) already exists.") }
        try apply(change, to: &room)
        try await Rooms.saveSettings(room, on: req.sql)
        return try await state(req, member: Member(room: room, guest: nil, isHost: true)).encodeResponse(status: .created, for: req)
    }

    static func apply(_ change: Change, to room: inout RoomRecord) throws {
        func bounded(_ value: Int?, _ range: ClosedRange<Int>, _ name: String) throws -> Int? {
            guard let value else { return nil }
            guard range.contains(value) else { throw APIError.unprocessable("\(name) must be \(range.lowerBound) to \(range.upperBound).") }
            return value
        }
        if let name = change.name {
            let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
            guard (1...100).contains(trimmed.count) else { throw APIError.unprocessable("name must be 1 to 100 characters.") }
            room.name = trimmed
        }
        room.requireAccounts = change.requireAccounts ?? room.requireAccounts
        room.downvotesToRemove = try bounded(change.downvotesToRemove, 1...100, "downvotesToRemove") ?? room.downvotesToRemove
        room.downvotesToSkip = try bounded(change.downvotesToSkip, 1...100, "downvotesToSkip") ?? room.downvotesToSkip
        room.maxPerGuest = try bounded(change.maxPerGuest, 0...500, "maxPerGuest") ?? room.maxPerGuest
        room.cooldownMinutes = try bounded(change.cooldownMinutes, 0...10_080, "cooldownMinutes") ?? room.cooldownMinutes
        room.maxQueue = try bounded(change.maxQueue, 0...5_000, "maxQueue") ?? room.maxQueue
        room.locked = change.locked ?? room.locked
        room.autoplay = change.autoplay ?? room.autoplay
        room.closed = change.closed ?? room.closed
        if let playback = change.playback {
            guard let mode = RoomPlayback(rawValue: playback) else { throw APIError.unprocessable("playback must be speaker or stream.") }
            room.playback = mode
        }
        if let raw = change.interactivity {
            guard let level = RoomInteractivity(rawValue: raw) else {
                throw APIError.unprocessable("interactivity must be full_control, full_voting, upvotes_only or no_control.")
            }
            room.interactivity = level
        }
        if let words = change.forbiddenWords {
            let cleaned = words.map { $0.trimmingCharacters(in: .whitespacesAndNewlines).lowercased() }.filter { !$0.isEmpty }
            guard cleaned.count <= 100, cleaned.allSatisfy({ $0.count <= 60 && !$0.contains(where: \.isNewline) }) else {
                throw APIError.unprocessable("forbiddenWords takes up to 100 words or phrases of up to 60 characters each.")
            }
            var seen = Set<String>()
            room.forbiddenWords = cleaned.filter { seen.insert($0).inserted }
        }
        room.newMusicOnly = change.newMusicOnly ?? room.newMusicOnly
        if let gain = change.gain {
            guard gain.isFinite, (0...1).contains(gain) else { throw APIError.unprocessable("gain must be 0 to 1.") }
            room.gain = gain
        }
    }

    @Sendable static func show(req: Request) async throws -> RoomDTO {
        let room = try await room(req)
        return try await state(req, member: try await member(req, room: room), fresh: false)
    }

    /// The room as a member sees it: what plays (by the room's clock), the queue in play order
    /// with scores and their own votes; the host also sees the settings and the join code.
    /// `fresh: false` when `member.room` was read for this request and nothing changed since.
    static func state(_ req: Request, member: Member, fresh: Bool = true) async throws -> RoomDTO {
        let room = fresh ? (try await Rooms.find(slug: member.room.slug, on: req.sql) ?? member.room) : member.room
        let queue = try await RoomQueue.queued(roomID: room.id, on: req.sql)
        var current: RoomEntry?
        if let id = room.currentEntryID { current = try await RoomQueue.entry(id, roomID: room.id, on: req.sql) }
        var banned: [Int64] = []
        if member.isHost { banned = try await RoomQueue.bannedTracks(roomID: room.id, on: req.sql) }
        let ids = queue.map(\.trackID) + (current.map { [$0.trackID] } ?? []) + banned
        let visible = try await libraries(of: room, on: req.db)
        let byID = Dictionary(
            try await CatalogQueries.trackSummaries(ids: Array(Set(ids)), visible: visible, on: req.sql).map {
                (String($0.key), RoomTrackDTO($0.value))
            },
            uniquingKeysWith: { first, _ in first })
        var mine: [Int64: Int] = [:]
        if let guest = member.guest {
            mine = try await RoomQueue.votes(guestID: guest.id, entries: queue.map(\.id) + (current.map { [$0.id] } ?? []), on: req.sql)
        }
        let names = try await RoomGuests.names(ids: Array(Set(queue.compactMap(\.guestID))), roomID: room.id, on: req.sql)
        let now = Clock.nowMillis()
        let code = member.isHost ? try req.application.secretBox.open(room.joinCodeSealed) : nil
        return RoomDTO(
            slug: room.slug, name: room.name, host: member.isHost,
            me: member.guest.map { guest in
                let shares = guest.userID == nil ? nil : guest.sharesListens(now: now)
                return RoomDTO.Me(
                    guestId: String(guest.id), name: guest.name, sharesListens: shares,
                    sharesListensUntil: shares == true ? guest.sharesListensUntil.map(Clock.date) : nil)
            },
            joinCode: code, joinUrl: try code.map { try RoomInvite.link(req, slug: room.slug, code: $0) },
            settings: .init(
                requireAccounts: room.requireAccounts, downvotesToRemove: room.downvotesToRemove, downvotesToSkip: room.downvotesToSkip,
                maxPerGuest: room.maxPerGuest, cooldownMinutes: room.cooldownMinutes, maxQueue: room.maxQueue, locked: room.locked,
                autoplay: room.autoplay, closed: room.closed, gain: room.gain, playback: room.playback.rawValue,
                interactivity: room.interactivity.rawValue, forbiddenWords: room.forbiddenWords, newMusicOnly: room.newMusicOnly),
            streamUrl: room.playback == .stream ? try RoomStreamController.url(req, slug: room.slug, code: code) : nil,
            nowPlaying: current.flatMap { entry -> RoomDTO.Playing? in
                guard let started = room.currentStartedAt else { return nil }
                return RoomDTO.Playing(
                    entryId: String(entry.id), track: byID[String(entry.trackID)], score: entry.score, myVote: mine[entry.id] ?? 0,
                    startedAt: Clock.date(started), elapsedMs: room.elapsedMs(now: now) ?? 0, paused: room.pausedAt != nil)
            },
            queue: queue.map { entry in
                .init(
                    entryId: String(entry.id), track: byID[String(entry.trackID)], score: entry.score, myVote: mine[entry.id] ?? 0,
                    suggestedBy: entry.guestID.flatMap { names[$0] }, suggestedById: member.isHost ? entry.guestID.map(String.init) : nil,
                    mine: entry.guestID != nil && entry.guestID == member.guest?.id, autoplay: entry.guestID == nil, pinned: entry.pinnedAt != nil)
            },
            bannedTracks: member.isHost ? banned.compactMap { byID[String($0)] } : nil)
    }

    @Sendable static func update(req: Request) async throws -> RoomDTO {
        let member = try await host(req)
        let change = try await req.decodeJSON(Change.self)
        // Read, changed and written under the room's lock: a rotated code is never written back.
        let room = try await req.db.writeTransaction { tx -> RoomRecord in
            guard var room = try await Rooms.lock(member.room.id, on: tx.sql) else { throw APIError.notFound("Room") }
            try apply(change, to: &room)
            try await Rooms.saveSettings(room, on: tx.sql)
            try await changed(room, reason: "settings", on: tx.sql)
            return room
        }
        return try await state(req, member: Member(room: room, guest: member.guest, isHost: true))
    }

    @Sendable static func delete(req: Request) async throws -> HTTPStatus {
        let member = try await host(req)
        try await Rooms.delete(member.room.id, on: req.sql)
        return .noContent
    }

    /// A new join code: the old link stops working (guests already in stay).
    @Sendable static func rotate(req: Request) async throws -> RoomDTO {
        let member = try await host(req)
        var changedRoom = member.room
        changedRoom.joinCodeSealed = try req.application.secretBox.seal(Secrets.randomToken(bytes: 9))
        let room = changedRoom
        try await req.db.writeTransaction { tx in
            try await Rooms.setJoinCode(room.id, sealed: room.joinCodeSealed, on: tx.sql)
            // The host's other pages show the new link (the event carries no code).
            try await changed(room, reason: "code", on: tx.sql)
        }
        return try await state(req, member: Member(room: room, guest: member.guest, isHost: true))
    }

    /// `POST …/join {name, code}`: a signed-in user joins as themselves; anyone else by name,
    /// with a cookie that is their seat in the room (unless the host requires accounts).
    @Sendable static func join(req: Request) async throws -> Response {
        let room = try await room(req)
        // application/json only: a cross-site form cannot send it without asking first.
        let body = try await req.decodeJSONBody(Join.self)
        let principal = req.auth.get(Principal.self)
        let isHost = principal.map { $0.userID == room.ownerID || $0.isAdmin } ?? false
        if !isHost {
            guard let code = body.code, code.count <= 100, let expected = try req.application.secretBox.open(room.joinCodeSealed),
                Secrets.equal(Secrets.hash(code), Secrets.hash(expected))
            else { throw APIError.forbidden("That join link is not (or no longer) valid; ask the host for the current one.") }
            if room.closed { throw APIError.conflict("The room is closed.") }
        }
        if let principal {
            let member = Member(room: room, guest: try await RoomGuests.find(roomID: room.id, userID: principal.userID, on: req.sql), isHost: isHost)
            var joined = member
            joined.guest = try await hostGuest(req, member: member)
            if joined.guest?.banned == true { throw APIError.forbidden("The host has removed you from this room.") }
            return try await state(req, member: joined).encodeResponse(for: req)
        }
        guard !room.requireAccounts else { throw APIError.unauthorized("This room is for signed-in users; sign in first.") }
        // Seats cost a join each: bounded per address (a party shares one) and per room, so a
        // guest cannot conjure voters, and a banned one cannot simply come back in numbers.
        let joins = try await RateLimiter.hit("party-join:\(room.id):\(req.clientIP)", window: 3_600, on: req.sql)
        guard joins.count <= maxJoinsPerAddressHour else { throw APIError.tooManyRequests(retryAfter: joins.retryAfter) }
        guard try await RoomGuests.count(roomID: room.id, on: req.sql) < maxGuests else { throw APIError.conflict("The room is full.") }
        let name = String(
            String.UnicodeScalarView(
                (body.name ?? "").unicodeScalars.filter { !$0.properties.isDefaultIgnorableCodePoint && $0.properties.generalCategory != .control }
            )
        ).trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...40).contains(name.count), name.utf8.count <= 120, !name.contains(where: { $0.isNewline }) else {
            throw APIError.unprocessable("Your name must be 1 to 40 characters.")
        }
        let session = Secrets.randomToken()
        guard let guest = try await RoomGuests.join(roomID: room.id, name: name, userID: nil, session: session, on: req.sql) else {
            throw APIError.conflict("Could not join; try again.")
        }
        let response = try await state(req, member: Member(room: room, guest: guest, isHost: false)).encodeResponse(for: req)
        response.cookies[RoomGuests.cookieName(room)] = HTTPCookies.Value(
            string: session, maxAge: 7 * 86_400, path: "/", isSecure: try req.application.settings.secureCookies, isHTTPOnly: true, sameSite: .lax)
        return response
    }

    /// `GET …/search?q=`: the room's library, for guests without an account too.
    @Sendable static func search(req: Request) async throws -> [RoomTrackDTO] {
        let room = try await room(req)
        _ = try await member(req, room: room)
        guard let q = req.query[String.self, at: "q"]?.trimmingCharacters(in: .whitespaces), !q.isEmpty, q.count <= 200, q.utf8.count <= 800 else {
            throw APIError.badRequest("q must be 1 to 200 characters.")
        }
        return try await CatalogQueries.tracks(
            visible: try await libraries(of: room, on: req.db), paging: .init(limit: 25, offset: 0), search: q, on: req.sql
        ).map(RoomTrackDTO.init)
    }

    @Sendable static func suggest(req: Request) async throws -> Response {
        let room = try await room(req)
        var member = try await member(req, room: room)
        if member.isHost { member.guest = try await hostGuest(req, member: member) }
        guard let guest = member.guest else { throw APIError(status: .forbidden, code: "not_joined", message: "Join the room first.") }
        let body = try await req.decodeJSONBody(Suggest.self)
        let visible = try await libraries(of: room, on: req.db)
        let wanted = try await suggestedTracks(body, visible: visible, on: req.sql)
        let isHost = member.isHost
        try await refusing {
            try await req.db.writeTransaction { tx in
                guard let locked = try await Rooms.lock(room.id, on: tx.sql) else { throw APIError.notFound("Room") }
                // The guest as of now, under the room's lock: parallel suggestions see each other's time.
                let fresh = try await RoomGuests.find(id: guest.id, roomID: room.id, on: tx.sql) ?? guest
                try await suggestAll(wanted, room: locked, guest: fresh, isHost: isHost, on: tx.sql)
                try await changed(locked, reason: "suggestion", on: tx.sql)
            }
        }
        return try await state(req, member: member).encodeResponse(status: .created, for: req)
    }

    /// The tracks a suggestion names: one, or an album's in order.
    static func suggestedTracks(_ body: Suggest, visible: [Int64], on db: any SQLDatabase) async throws -> [Int64] {
        if let raw = body.trackId {
            guard let id = Int64(raw), id > 0 else { throw APIError.unprocessable("trackId must be a track's id.") }
            guard try await CatalogQueries.airableTrack(id: id, libraries: visible, on: db) != nil else { throw APIError.notFound("Track") }
            return [id]
        }
        guard let raw = body.albumId else { throw APIError.unprocessable("Send trackId or albumId.") }
        guard let id = Int64(raw), id > 0 else { throw APIError.unprocessable("albumId must be an album's id.") }
        let tracks = try await CatalogQueries.tracks(
            visible: visible, filters: .init(albumID: id), sort: .album, paging: .init(limit: 200, offset: 0), on: db)
        guard !tracks.isEmpty else { throw APIError.notFound("Album") }
        return tracks.compactMap { Int64($0.id) }
    }

    /// An album is one suggestion (one wait before the next): its tracks a millisecond apart,
    /// as many as the guest's limit and the queue allow. Tracks queued already or on cooldown
    /// are passed over; the first other refusal ends it (and is the answer if nothing went in).
    static func suggestAll(_ tracks: [Int64], room: RoomRecord, guest: RoomGuest, isHost: Bool, on db: any SQLDatabase) async throws {
        let now = Clock.nowMillis()
        var added = 0
        var firstRefusal: RoomQueue.Refusal?
        for (offset, trackID) in tracks.enumerated() {
            var seat = guest
            if added > 0 { seat.lastSuggestedAt = nil }
            do {
                _ = try await RoomQueue.suggest(trackID, room: room, guest: seat, isHost: isHost, now: now + Int64(offset), on: db)
                added += 1
            } catch let refusal as RoomQueue.Refusal {
                firstRefusal = firstRefusal ?? refusal
                if refusal.thisSongOnly && tracks.count > 1 { continue }
                break
            }
        }
        if added == 0, let firstRefusal { throw firstRefusal }
    }

    /// What a vote answers: the entry as it stands (the page has the rest; everyone else hears
    /// the same on the room's stream).
    struct VoteDTO: Content {
        var entryId: String
        var score: Int
        var myVote: Int
        var state: String
    }

    @Sendable static func vote(req: Request) async throws -> VoteDTO {
        let room = try await room(req)
        var member = try await member(req, room: room)
        if member.isHost { member.guest = try await hostGuest(req, member: member) }
        guard let guest = member.guest else { throw APIError(status: .forbidden, code: "not_joined", message: "Join the room first.") }
        let entryID = try req.int64Parameter("id", what: "Entry")
        let value = try await req.decodeJSON(Vote.self).value
        guard (-1...1).contains(value) else { throw APIError.unprocessable("A vote is -1, 0 or 1.") }
        let votes = try req.application.cadenza.state(RoomVotes.self)
        // The room's rules are checked again when the vote is written, with the room locked.
        let ballot = RoomQueue.Ballot(entryID: entryID, guestID: guest.id, value: value, isHost: member.isHost)
        var result: RoomQueue.Cast?
        try await refusing {
            if let refused = RoomQueue.refusal(ballot, room: room) { throw refused }
            result = try await votes.cast(ballot, roomID: room.id, on: req.application.db)
        }
        guard let cast = result else { throw APIError.notFound("Entry") }
        let entry = cast.entry
        return VoteDTO(entryId: String(entry.id), score: entry.score, myVote: cast.value, state: entry.state)
    }

    /// Host controls: skip, pause, play, remove an entry, ban a guest.
    @Sendable static func control(req: Request) async throws -> RoomDTO {
        let action = req.parameters.get("action") ?? ""
        let room = try await room(req)
        let member = try await member(req, room: room)
        // In a full-control room guests play, pause and skip too (checked below, with the room locked).
        guard member.isHost || (["play", "pause", "skip"].contains(action) && member.guest?.banned == false) else {
            throw APIError.forbidden("Only the room's host may do this.")
        }
        let now = Clock.nowMillis()
        try await refusing {
            try await req.db.writeTransaction { tx in
                guard let room = try await Rooms.lock(member.room.id, on: tx.sql) else { throw APIError.notFound("Room") }
                // As the room stands now: full control taken back, or the room closed, meanwhile.
                guard member.isHost || (room.interactivity == .fullControl && !room.closed) else {
                    throw APIError.forbidden("Only the room's host may do this.")
                }
                switch action {
                case "skip":
                    if let current = room.currentEntryID { try await RoomQueue.end(current, as: "skipped", room: room, now: now, on: tx.sql) }
                case "pause":
                    if room.currentStartedAt != nil, room.pausedAt == nil {
                        try await Rooms.setClock(room.id, entry: room.currentEntryID, startedAt: room.currentStartedAt, pausedAt: now, on: tx.sql)
                    }
                case "play":
                    // The pause shifts the start: progress carries on where it stopped.
                    if let started = room.currentStartedAt, let paused = room.pausedAt {
                        try await Rooms.setClock(room.id, entry: room.currentEntryID, startedAt: started + (now - paused), pausedAt: nil, on: tx.sql)
                    }
                case "clear":
                    try await RoomQueue.clear(room: room, now: now, on: tx.sql)
                default:
                    throw APIError.notFound("Action")
                }
                try await changed(room, reason: action, on: tx.sql)
            }
        }
        return try await state(req, member: member)
    }

    @Sendable static func remove(req: Request) async throws -> RoomDTO {
        let member = try await host(req)
        let entryID = try req.int64Parameter("id", what: "Entry")
        try await req.db.writeTransaction { tx in
            guard let room = try await Rooms.lock(member.room.id, on: tx.sql) else { throw APIError.notFound("Room") }
            try await RoomQueue.end(entryID, as: "removed", room: room, now: Clock.nowMillis(), on: tx.sql)
            try await changed(room, reason: "removed", on: tx.sql)
        }
        return try await state(req, member: member)
    }

    /// `POST …/entries/{id}/top` (host): the song plays next, ahead of the score order.
    @Sendable static func top(req: Request) async throws -> RoomDTO {
        let member = try await host(req)
        let entryID = try req.int64Parameter("id", what: "Entry")
        try await req.db.writeTransaction { tx in
            guard let room = try await Rooms.lock(member.room.id, on: tx.sql) else { throw APIError.notFound("Room") }
            guard try await RoomQueue.pin(entryID, room: room, now: Clock.nowMillis(), on: tx.sql) else { throw APIError.notFound("Queued song") }
            try await changed(room, reason: "moved", on: tx.sql)
        }
        return try await state(req, member: member)
    }

    /// `PUT|DELETE …/banned-tracks/{trackId}` (host): a song out of the room for good (its queued
    /// entry leaves, it cannot be suggested or autoplayed), or back in.
    @Sendable static func banTrack(req: Request) async throws -> RoomDTO {
        let member = try await host(req)
        let trackID = try req.int64Parameter("trackId", what: "Track")
        let banning = req.method != .DELETE
        if banning {
            // Visible is enough: a song whose file went missing can be banned too.
            let visible = try await libraries(of: member.room, on: req.db)
            guard try await CatalogQueries.trackSummaries(ids: [trackID], visible: visible, on: req.sql)[trackID] != nil else {
                throw APIError.notFound("Track")
            }
        }
        try await req.db.writeTransaction { tx in
            guard let room = try await Rooms.lock(member.room.id, on: tx.sql) else { throw APIError.notFound("Room") }
            try await RoomQueue.setTrackBanned(trackID, banning, room: room, now: Clock.nowMillis(), on: tx.sql)
            try await changed(room, reason: "banned", on: tx.sql)
        }
        return try await state(req, member: member)
    }

    struct MeChange: Decodable {
        var sharesListens: Bool
    }

    /// `PUT …/me {sharesListens}`: a signed-in guest chooses whether the songs played in the room
    /// become their listens, for the next 12 hours (the host's always do). A guest without an
    /// account has none to add to.
    @Sendable static func updateMe(req: Request) async throws -> RoomDTO {
        let room = try await room(req)
        let member = try await member(req, room: room)
        guard let guest = member.guest, guest.userID != nil, !member.isHost || guest.userID != room.ownerID else {
            throw APIError.conflict("Only guests signed in with an account can add the room's songs to their listens.")
        }
        let change = try await req.decodeJSON(MeChange.self)
        let until = change.sharesListens ? Clock.nowMillis() + RoomGuests.sharingMs : nil
        try await RoomGuests.setSharesListens(guest.id, until: until, on: req.sql)
        var updated = guest
        updated.sharesListensUntil = until
        return try await state(req, member: Member(room: room, guest: updated, isHost: member.isHost))
    }

    @Sendable static func ban(req: Request) async throws -> HTTPStatus {
        let member = try await host(req)
        let guestID = try req.int64Parameter("id", what: "Guest")
        guard let guest = try await RoomGuests.find(id: guestID, roomID: member.room.id, on: req.sql), guest.userID != member.room.ownerID else {
            throw APIError.notFound("Guest")
        }
        let banned = req.method != .DELETE
        try await req.db.writeTransaction { tx in
            try await RoomGuests.setBanned(guest.id, banned, on: tx.sql)
            if banned {
                // A guest without an account could join again by the link: it changes too.
                try await Rooms.setJoinCode(member.room.id, sealed: try req.application.secretBox.seal(Secrets.randomToken(bytes: 9)), on: tx.sql)
            }
            try await changed(member.room, reason: "guests", on: tx.sql)
        }
        return .noContent
    }

    /// The speaker: what to play next (it stays queued until the player confirms it started).
    /// What the speaker plays next: the track with its files (the host's own view).
    struct NextDTO: Content {
        var entryId: String
        var track: TrackDTO?
        var score: Int
    }

    @Sendable static func playerNext(req: Request) async throws -> NextDTO {
        let member = try await speakerHost(req)
        var next = try await RoomQueue.queued(roomID: member.room.id, on: req.sql).first
        if next == nil, member.room.autoplay {
            next = try await autoplayNext(room: member.room, libraries: try await libraries(of: member.room, on: req.db), on: req.db)
        }
        guard let next else { throw APIError.notFound("Queued song") }
        let visible = try await libraries(of: member.room, on: req.db)
        let track = try await CatalogQueries.tracks(visible: visible, paging: .init(limit: 1, offset: 0), ids: [next.trackID], on: req.sql).first
        return NextDTO(entryId: String(next.id), track: track, score: next.score)
    }

    /// The queue ran dry: the room picks something like what played last (the queue's top if
    /// someone suggested a song meanwhile).
    static func autoplayNext(room: RoomRecord, libraries visible: [Int64], on fluent: any Database) async throws -> RoomEntry? {
        let similar = try await RoomQueue.similarToLast(roomID: room.id, libraries: visible, on: fluent.sql)
        return try await fluent.writeTransaction { tx -> RoomEntry? in
            guard let room = try await Rooms.lock(room.id, on: tx.sql) else { return nil }
            if let queued = try await RoomQueue.queued(roomID: room.id, on: tx.sql).first { return queued }
            let picked = try await RoomQueue.autoplay(room: room, libraries: visible, similar: similar, now: Clock.nowMillis(), on: tx.sql)
            if picked != nil { try await changed(room, reason: "autoplay", on: tx.sql) }
            return picked
        }
    }

    /// The host of a room the speaker page plays (a stream-mode room has its engine for a player).
    static func speakerHost(_ req: Request) async throws -> Member {
        let member = try await host(req)
        guard member.room.playback == .speaker else {
            throw APIError(status: .conflict, code: "refused", message: "This room plays on its stream; switch it to the speaker first.")
        }
        return member
    }

    /// `POST …/player/started|ended|failed {entryId}`: what the speaker reports.
    @Sendable static func playerReport(req: Request) async throws -> RoomDTO {
        let member = try await speakerHost(req)
        guard let entryID = Int64(try await req.decodeJSON(PlayerReport.self).entryId), entryID > 0 else {
            throw APIError.unprocessable("entryId must be an entry's id.")
        }
        let event = req.parameters.get("event") ?? ""
        let now = Clock.nowMillis()
        try await refusing {
            try await req.db.writeTransaction { tx in
                guard let room = try await Rooms.lock(member.room.id, on: tx.sql) else { throw APIError.notFound("Room") }
                switch event {
                case "started": try await RoomQueue.started(entryID, room: room, now: now, on: tx.sql)
                // Only what plays can end: a queued song reported "ended" stays queued (no queue-eating).
                case "ended":
                    guard room.currentEntryID == entryID else { throw RoomQueue.Refusal(status: 409, message: "That song is not playing.") }
                    try await RoomQueue.end(entryID, as: "played", room: room, now: now, on: tx.sql)
                // Marked, and so skipped once: not dropped silently, and never retried in a loop.
                case "failed":
                    guard try await RoomQueue.end(entryID, as: "failed", room: room, now: now, on: tx.sql) else {
                        throw RoomQueue.Refusal(status: 404, message: "That song is not in the queue.")
                    }
                default: throw APIError.notFound("Player event")
                }
                try await changed(room, reason: event, on: tx.sql)
            }
        }
        return try await state(req, member: member)
    }

    /// Written with the change: the host's app hears it on the event stream, and every member's
    /// room page on the room's own stream (`…/events`).
    static func changed(_ room: RoomRecord, reason: String, on db: any SQLDatabase) async throws {
        try await EventStore.append(
            JukeboxEvents.changed, payload: .init(slug: room.slug, reason: reason), actorID: nil, subjectID: room.slug, audienceUserID: room.ownerID,
            on: db)
    }

    /// The queue's refusals in the API's error format.
    static func refusing(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let refusal as RoomQueue.Refusal {
            throw APIError(status: HTTPResponseStatus(statusCode: refusal.status), code: "refused", message: refusal.message)
        }
    }
}

import CadenzaPlayout
import CoreMetrics
import Fluent
import Foundation
import Logging
import NIOConcurrencyHelpers
import SQLKit
import Vapor

/// One station on air in this process: the autoDJ keeps its queue filled, the engine turns the
/// queue into a paced PCM bus, one encoder per output feeds its mount, and what starts is
/// written to the as-run log and announced. The engine never waits on the database: the
/// queue is filled ahead, and its events are handed to a task that does the writing.
final class StationPlayout: Sendable {
    /// The station as last read; name, description and visibility change without a restart.
    var station: StationRecord { record.withLockedValue { $0 } }
    let record: NIOLockedValueBox<StationRecord>
    /// What the push output's listeners are told is on air.
    private let currentTitle: NIOLockedValueBox<String?>
    let mounts: [StationOutput: Mount]
    /// Who asked for the live HLS playlist lately (HLS has no connection to count).
    let hlsAudience = HLSAudience()
    /// Where titles go: the mounts, by the bus's clock.
    var titledMounts: [Mount] { Array(mounts.values) }
    let queue = PlayoutQueue()
    let engine: PlayoutEngine
    private let encoders: [Encoder]
    private let notes: AsyncStream<Note>
    private let noteSink: AsyncStream<Note>.Continuation
    let state = NIOLockedValueBox(State())
    let db: any SQLDatabase
    private let fluent: any Database
    let logger: Logger

    /// A write the database has not taken yet.
    enum Write: Sendable, Codable {
        case asRun(AsRunLog.Write)
        case listeners(ListenerStats.Sample)
        case heard(RadioEvents.Heard)
        case agents(ListenerStats.AgentSample)
    }

    /// What the recorder task is told: what the engine did, or that a second passed (time to
    /// retry writes the database refused).
    enum Note: Sendable {
        case engine(PlayoutEvent)
        case tick
    }

    struct State {
        var busStarted = Date()
        /// On air: the item, the bus frame it started at, where it came from, the wall-clock
        /// instant it first started and how much of it aired before (for a resumed item).
        var current: (item: PlayoutItem, frame: Int64, source: AsRunLog.Source, startedAt: Int64, priorMs: Int)?
        var tasks: [Task<Void, Never>] = []
        var stopped = false
        /// Whether the state file was read (and taken over, when it could be): until then the file
        /// on disk is the predecessor's, and a stop must not overwrite it with an empty state.
        var loaded = false
        /// The as-run entry a resumed item continues: its track, first start and what aired of it.
        var resume: (itemID: String, startedAt: Int64, offsetMs: Int)?
        /// As-run writes not yet in the database, oldest first.
        var pendingWrites: [Write] = []
        var lastSample = Date()
        var announce = false
        /// What the autoDJ chooses from, and what aired lately (kept here, so the station goes
        /// on choosing while the database is away).
        var pool: [AutoDJ.Candidate] = []
        var poolRead = Date.distantPast
        var aired: [(trackID: Int64?, artist: String, at: Int64)] = []
        var deadAirRaised = Date.distantPast
        var flushing = false
        /// The schedule's coming hours (kept through a database outage), and when it was read.
        var schedule: [ScheduleWindow.Item] = []
        var scheduleRead = Date.distantPast
        /// The occurrence whose items this playout queues, and the planned start of the last one queued.
        var activeOccurrence: Int64?
        var lastQueuedScheduled = Int64.min
        /// The engine's pending cut: its instant (wall-clock ms), what it airs (the first item's
        /// tag, or "rotation"), and whether it joins a show under way.
        var armedCut: (at: Int64, key: String, join: Bool)?
        /// The live feed on air (or about to be), if a DJ is connected, and the frame its cut lands on.
        var live: LiveFeed?
        var liveCutFrame: Int64?
        /// Rotation songs queued since the last jingle, and the jingles (read every minute).
        var songsSinceJingle = 0
        var jingles: [PlayoutItem] = []
        var jinglesRead = Date.distantPast
        var jinglesPlaylist: Int64?
        /// The hourly station ID's last mark (nil until the station has looked once).
        var hourlyJingleMark: Int64?
        /// What the state file last written held (see `persistIfChanged`).
        var persistedFingerprint: Int?
        /// The loudness analyses of tracks queued so far, by track.
        var loudness: [Int64: LoudnessAnalysis] = [:]
        /// When a file not copied locally last failed to play and could not be opened (the
        /// library's storage may be away).
        var storageFailedAt = Int64.min
        /// Part of the rotation, kept as local copies: what it airs from while storage is away.
        var reserve: [AutoDJ.Candidate] = []
        /// Copying what airs next: cancelled, never awaited, at stop (a hung share must not hold it).
        var cacher: Task<Void, Never>?
        /// Signed-in listeners on the mounts: who, and since when (wall-clock ms).
        var personal: [UUID: (userID: Int64, since: Int64)] = [:]
        /// Signed-in HLS listeners: their key in `personal`, and their last playlist request.
        var hlsPersonal: [Int64: (key: UUID, lastSeen: Int64)] = [:]
        /// The fallback track the engine was last given (nil: the tone), whether it could not be read, and when.
        var fallback: (id: Int64?, missing: Bool, tried: Date) = (nil, false, .distantPast)
        /// Reading and decoding it: cancelled, never awaited, at stop (as the cacher).
        var fallbackLoader: Task<Void, Never>?
        /// The relays' statuses last noted for the database, and when; the newest not written yet
        /// (kept apart from `pendingWrites`: a newer one replaces it, and only what is current counts).
        var relaysNoted: (statuses: [RelayStatus], at: Date) = ([], .distantPast)
        var pendingRelays: RelayStatuses.Sample?
    }

    /// Where the HLS output writes its playlist and segments, and its encoder.
    let hlsDirectory: String
    let hlsEncoder: Encoder?
    /// Where the playout keeps its state on its own disk.
    let stateFile: URL

    /// The external servers the station relays to, and the client their title updates go through.
    let relays: [SourceClient]
    private let client: any Client

    let statsInterval: TimeInterval
    /// Local copies of what airs next, read instead of the library's files (see MediaCache).
    let cache: MediaCache?
    let ffmpeg: String

    init(
        station: StationRecord, app: Application, ffmpeg: String, hlsRoot: URL, pushes: [PushTarget] = [], statsInterval: TimeInterval = 60,
        cache: MediaCache? = nil
    ) {
        self.statsInterval = statsInterval
        self.cache = cache
        self.ffmpeg = ffmpeg
        client = app.client
        hlsDirectory = hlsRoot.appendingPathComponent(station.slug).path
        stateFile = Self.stateFile(dataDirectory: hlsRoot.deletingLastPathComponent(), slug: station.slug)
        let current = NIOLockedValueBox(station)
        record = current
        db = app.sql
        fluent = app.db
        logger = app.logger
        let titles = NIOLockedValueBox<String?>(nil)
        currentTitle = titles
        let titleClient = app.client, relayLogger = app.logger
        let relays = pushes.map { target in
            SourceClient(
                target: target, station: station.slug, name: { current.withLockedValue { $0.name } }, bitrate: station.bitrate,
                group: app.eventLoopGroup, logger: relayLogger
            ) {
                // The server forgets the title with the source: say it again once the stream is up.
                Task {
                    for wait in [500, 2_000] {
                        try? await Task.sleep(for: .milliseconds(wait))
                        guard let title = titles.withLockedValue({ $0 }) else { return }
                        if await Self.sendTitle(title, to: target, client: titleClient, logger: relayLogger) { return }
                    }
                }
            }
        }
        self.relays = relays
        var mounts: [StationOutput: Mount] = [:]
        var encoders: [Encoder] = []
        var hlsEncoder: Encoder?
        for output in station.outputs {
            switch output {
            case .mp3, .aac:
                let format: Encoder.Format = output == .mp3 ? .mp3 : .aac
                let mount = Mount(format: format, bitrate: station.bitrate, maxListeners: station.maxListeners)
                mounts[output] = mount
                // Relays in the mount's format are fed what its encoder makes.
                let fed = relays.filter { $0.target.format == format }
                encoders.append(
                    Encoder(format: format, bitrate: station.bitrate, ffmpeg: ffmpeg) { bytes in
                        mount.append(bytes)
                        for relay in fed { relay.send(bytes) }
                    })
            case .hls:
                try? FileManager.default.createDirectory(atPath: hlsDirectory, withIntermediateDirectories: true)
                let encoder = Encoder(hlsDirectory: hlsDirectory, bitrate: station.bitrate, ffmpeg: ffmpeg)
                hlsEncoder = encoder
                encoders.append(encoder)
            }
        }
        // Relays in a format no mount has get an encoder of their own.
        for (format, output) in [(Encoder.Format.mp3, StationOutput.mp3), (.aac, .aac)] where !station.outputs.contains(output) {
            let fed = relays.filter { $0.target.format == format }
            guard !fed.isEmpty else { continue }
            encoders.append(
                Encoder(format: format, bitrate: station.bitrate, ffmpeg: ffmpeg) { bytes in for relay in fed { relay.send(bytes) } })
        }
        self.mounts = mounts
        self.hlsEncoder = hlsEncoder
        self.encoders = encoders
        // Unbounded: what reaches it is a few notes per item and one a second (underruns are not).
        (notes, noteSink) = AsyncStream<Note>.makeStream(bufferingPolicy: .unbounded)
        var options = PlayoutEngine.Options()
        options.ffmpeg = ffmpeg
        options.crossfadeMs = station.crossfadeMs
        options.crossfadeCurve = station.crossfadeCurve
        options.silenceAlarmMs = ((try? app.settings.radio.silenceSeconds) ?? 15) * 1_000
        if let cache { options.source = { cache.resolve($0) } }
        let sink = noteSink
        let outputs = encoders
        let titled = Array(mounts.values)
        let record = self.record
        let log = app.logger
        // Both series exist from the start, at 0, so an alert's increase() sees the first one.
        for label in ["cadenza_radio_underrun_milliseconds_total", "cadenza_radio_dead_air_total"] {
            Counter(label: label, dimensions: [("station", station.slug)]).increment(by: 0)
        }
        engine = PlayoutEngine(
            queue: queue, options: options,
            sink: { pcm in for encoder in outputs { encoder.write(pcm) } },
            events: { event in
                // Titles are placed in the mounts' byte streams here, on the bus's own clock.
                switch event {
                case .started(let item, let frame): for mount in titled { mount.setTitle(item.streamTitle, atFrame: frame) }
                case .fallback(let frame):
                    let name = record.withLockedValue { $0.name }
                    for mount in titled { mount.setTitle(name, atFrame: frame) }
                case .underrun(_, let frames):
                    // Logged and counted here, not recorded: a starved decoder reports ten a second.
                    Counter(label: "cadenza_radio_underrun_milliseconds_total", dimensions: [("station", station.slug)])
                        .increment(by: PCM.milliseconds(frames: frames))
                    log.warning("station \(station.slug): \(PCM.milliseconds(frames: frames)) ms of silence (a decoder fell behind)")
                    return
                default: break
                }
                sink.yield(.engine(event))
            })
    }

    /// Queues the first items, then puts the bus on air (so a station never opens with the fallback).
    func start() {
        guard !state.withLockedValue({ $0.stopped }) else { return }
        let feeder = Task { [self] in
            let logger = logger
            let file = await runBlocking { [stateFile] in Self.loadSnapshot(stateFile, logger: logger) }
            // Stopped meanwhile: the file stays its predecessor's, and nothing is written for a station not aired.
            guard !Task.isCancelled else { return }
            // What another process aired since, or a file days old, is not aired from.
            let kept = file.flatMap { $0.station.id == station.id && Self.airable($0, now: Clock.nowMillis()) ? $0 : nil }
            if let kept { restore(kept) }
            state.withLockedValue { $0.loaded = true }
            var libraries = (try? await AutoDJ.libraries(for: station, on: fluent)) ?? []
            let now = Clock.nowMillis()
            let gap = Int64(max(station.trackGapMinutes, station.artistGapMinutes)) * 60_000
            let aired = (try? await AsRunLog.airedSince(stationID: station.id, millis: now - gap, on: db)) ?? []
            state.withLockedValue { $0.aired = aired }
            await refreshSchedule(libraries: libraries, force: true)
            // (Resuming closes the interrupted play's as-run entry: not for a playout already stopped.)
            guard !Task.isCancelled else { return }
            await resumeInterrupted(libraries: libraries, kept: kept?.onAir)
            await fill(libraries: libraries)
            let onAir = state.withLockedValue { state in
                // Checked and started under the lock: a stop in between never leaves a bus running.
                guard !state.stopped else { return false }
                state.busStarted = Date()
                engine.start()
                return true
            }
            guard onAir else { return }
            for relay in relays { relay.start() }
            logger.info("station \(station.slug) on air", metadata: ["outputs": "\(station.outputs.map(\.rawValue))"])
            var librariesRead = Date()
            var persisted = Date.distantPast
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                if Task.isCancelled { break }
                if Date().timeIntervalSince(persisted) >= 3 {
                    persisted = Date()
                    await persistIfChanged()
                }
                sampleListeners()
                noteRelays()
                expireHLSListeners()
                noteSink.yield(.tick)
                if Date().timeIntervalSince(librariesRead) > 30, let read = try? await AutoDJ.libraries(for: station, on: fluent) {
                    libraries = read
                    librariesRead = Date()
                }
                await refreshSchedule(libraries: libraries)
                await followSchedule(libraries: libraries)
                await fill(libraries: libraries)
                await hourlyJingle(libraries: libraries)
                keepFallback(libraries: libraries)
            }
        }
        let recorder = Task { [self] in await record() }
        let cacher = Task { [self] in await keepCopies() }
        let stopped = state.withLockedValue {
            $0.tasks = [feeder, recorder]
            $0.cacher = cacher
            return $0.stopped
        }
        // Stopped before it started (it waited for its predecessor's stop): nothing is left running.
        if stopped {
            for task in [feeder, recorder, cacher] { task.cancel() }
        }
    }

    /// Takes the station off air: encoders first (so nothing waits on a pipe), then the bus,
    /// on a thread of its own (the engine's stop waits for its thread), then the last writes,
    /// and the state file last of all (`handedOff`: another process airs the station now).
    func stop(handedOff: Bool = false) async {
        let tasks = state.withLockedValue {
            $0.stopped = true
            $0.cacher?.cancel()
            $0.fallbackLoader?.cancel()
            return $0.tasks
        }
        cache?.unpin(station.slug)
        for task in tasks { task.cancel() }
        for encoder in encoders { encoder.stop() }
        for relay in relays { relay.stop() }
        for mount in mounts.values { mount.close() }
        await engine.stopOffThread()
        listenersLeftAtStop()
        // Its ffmpegs gone (briefly waited for): a successor's HLS run must not be overwritten
        // by this one's last playlist, nor its push refused while this one holds the mount.
        let deadline = ContinuousClock.now + .seconds(2)
        while encoders.contains(where: { !$0.exited }) || relays.contains(where: \.connected), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        noteSink.finish()
        // The feeder and the recorder are done before the last flush: no write is saved twice.
        for task in tasks { await task.value }
        await flush()
        await persist(handedOff: handedOff)
    }

    /// Takes a changed station record: a change of outputs, bitrate or push needs a new playout
    /// instead (RadioStations.reconcile).
    func update(_ station: StationRecord) {
        record.withLockedValue { $0 = station }
        engine.setCrossfade(milliseconds: station.crossfadeMs, curve: station.crossfadeCurve)
        for mount in mounts.values { mount.maxListeners = station.maxListeners }
    }

    /// Ends the current item now; the rotation's next one follows without a gap.
    func skip() { engine.skip() }

    /// Ends `trackID`'s item if it is the one airing or about to (a skip that arrives late
    /// leaves the next item alone).
    func skip(trackID: Int64) { engine.skip(id: String(trackID)) }

    /// Airs `track` after the current item, before what the rotation chose.
    func playNext(_ track: CatalogQueries.AirableTrack) async -> PlayoutItem {
        let plain = track.playoutItem()
        let item = await withLoudness([plain]).first ?? plain
        engine.playNext(item)
        return item
    }

    /// A station that stopped mid-track (killed, or restarted for an upgrade) picks the track up
    /// where the wall clock says it would be now, as LibreTime does; the as-run entry continues.
    /// A show on air wins over the rotation: its item at this instant airs, at its offset.
    private func resumeInterrupted(libraries: [Int64], kept: Snapshot.OnAir? = nil) async {
        let now = Clock.nowMillis()
        let schedule = state.withLockedValue { $0.schedule }
        let onAir = ScheduleWindow.occurrences(schedule).first { $0.start <= now && now < $0.end }
        do {
            if let open = try await AsRunLog.interrupted(stationID: station.id, on: db) {
                let offset = now - open.startedAt
                if let onAir, let scheduledAt = open.scheduledAt,
                    let item = schedule.first(where: { $0.startsAt == scheduledAt && $0.occurrenceStart == onAir.start })
                {
                    if offset >= 0, offset < Int64(item.playoutItem().playMs) - 1_000, now < item.endsAt - 1_000 {
                        queue.append(item.playoutItem(offsetMs: Int(offset)))
                        state.withLockedValue {
                            $0.resume = (String(item.trackID), open.startedAt, Int(offset))
                            $0.activeOccurrence = onAir.start
                            $0.lastQueuedScheduled = scheduledAt
                        }
                        logger.info("station \(station.slug) resumes \(item.title) of \(onAir.title) at \(offset) ms")
                        return
                    }
                    // Its item is over: the show goes on where the clock says (below).
                    try await AsRunLog.apply(.finished(startedAt: open.startedAt, durationMs: max(0, offset)), stationID: station.id, on: db)
                } else if onAir == nil, open.scheduledAt == nil, let kept, kept.startedAt == open.startedAt,
                    kept.item.id == String(open.trackID), resumeFromSnapshot(kept, now: now)
                {
                    // The item as it was queued (its playlist's cue points, its gain), from the playout's own disk.
                    return
                } else if onAir == nil, open.scheduledAt == nil,
                    let track = try await CatalogQueries.airableTrack(id: open.trackID, libraries: libraries, on: db),
                    offset >= 0, offset < Int64(track.durationMs) - 1_000
                {
                    // Trimmed as it was when it first aired: the offset counts from its cue-in.
                    let plain = track.playoutItem()
                    var item = await withLoudness([plain]).first ?? plain
                    item.startMs += Int(offset)
                    if item.startMs < (item.endMs ?? item.durationMs) - 1_000 {
                        queue.append(item)
                        state.withLockedValue { $0.resume = (String(track.id), open.startedAt, Int(offset)) }
                        logger.info("station \(station.slug) resumes \(track.title) at \(offset) ms")
                        return
                    }
                    try await AsRunLog.apply(.finished(startedAt: open.startedAt, durationMs: offset), stationID: station.id, on: db)
                } else {
                    try await AsRunLog.apply(.finished(startedAt: open.startedAt, durationMs: max(0, offset)), stationID: station.id, on: db)
                }
            }
            if let onAir { joinShow(onAir, at: now) }
        } catch {
            logger.warning("station \(station.slug): could not read what it aired last: \(String(describing: error))")
            // The kept item resumes if it is what the clock says airs now: the rotation's (no
            // show on air) or the show's own item; otherwise the show is joined where the clock says.
            if let kept {
                let scheduled = kept.item.tag.hasPrefix("s") ? Int64(kept.item.tag.dropFirst()) : nil
                // (An item of the show whose planned end is past, cut there by an outro, is over.)
                let ofShow = onAir.flatMap { show in
                    schedule.first { $0.occurrenceStart == show.start && $0.startsAt == scheduled && now < $0.endsAt - 1_000 }
                }
                if onAir == nil || ofShow != nil, resumeFromSnapshot(kept, now: now) {
                    if let onAir, let ofShow {
                        state.withLockedValue {
                            $0.activeOccurrence = onAir.start
                            $0.lastQueuedScheduled = ofShow.startsAt
                        }
                    }
                    return
                }
            }
            if let onAir { joinShow(onAir, at: now) }
        }
    }

    /// Every `statsInterval`, each mount's listeners now and at most since the last sample, to be
    /// written with the other pending writes (kept through a database outage too).
    private func sampleListeners() {
        let now = Date()
        let seconds = state.withLockedValue { state -> Int? in
            let elapsed = now.timeIntervalSince(state.lastSample)
            guard elapsed >= statsInterval else { return nil }
            state.lastSample = now
            return Int(elapsed.rounded())
        }
        guard let seconds else { return }
        let at = Int64((now.timeIntervalSince1970 * 1000).rounded())
        var samples = mounts.sorted { $0.key.rawValue < $1.key.rawValue }.map { output, mount in
            let (listeners, peak) = mount.sample()
            return Write.listeners(.init(output: output.rawValue, at: at, seconds: seconds, listeners: listeners, peak: peak))
        }
        if hlsEncoder != nil {
            let (listeners, peak) = hlsAudience.sample(now: now.timeIntervalSince1970)
            samples.append(.listeners(.init(output: StationOutput.hls.rawValue, at: at, seconds: seconds, listeners: listeners, peak: peak)))
        }
        let agents = listenersNow().agents
        if !agents.isEmpty {
            samples.append(.agents(.init(at: at, seconds: seconds, agents: agents.map { .init(agent: $0.agent, listeners: $0.listeners) })))
        }
        state.withLockedValue { $0.pendingWrites += samples }
    }

    /// Who listens now, per output and per player (most first).
    func listenersNow() -> (outputs: [String: Int], agents: [(agent: String, listeners: Int)]) {
        var outputs: [String: Int] = [:]
        var agents: [String: Int] = [:]
        for (output, mount) in mounts {
            outputs[output.rawValue] = mount.listenerCount
            for (agent, count) in mount.userAgents() { agents[agent, default: 0] += count }
        }
        if hlsEncoder != nil {
            outputs[StationOutput.hls.rawValue] = hlsAudience.listenerCount
            for (agent, count) in hlsAudience.userAgents() { agents[agent, default: 0] += count }
        }
        return (outputs, agents.map { ($0.key, $0.value) }.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 })
    }

    /// Keeps two or three items queued: the show's next items while one is on, else the rotation.
    private func fill(libraries: [Int64]) async {
        guard queue.count < 2 else { return }
        // While a DJ is live the show waits: it is joined where the clock says when they leave.
        if state.withLockedValue({ $0.live == nil }) {
            for item in nextShowItems(count: 3 - queue.count) { queue.append(item) }
        }
        guard queue.count < 2, !outroOnAir() else { return }
        for item in await rotationItems(count: 3 - queue.count, libraries: libraries) { queue.append(item) }
    }

    /// The autoDJ's next `count` choices from its pool, refreshed from the catalog every minute
    /// when the database answers.
    func rotationItems(count: Int, libraries: [Int64]) async -> [PlayoutItem] {
        let stale = state.withLockedValue { $0.pool.isEmpty || Date().timeIntervalSince($0.poolRead) > 60 }
        if stale {
            do {
                let pool = try await AutoDJ.pool(station: station, libraries: libraries, on: db)
                state.withLockedValue {
                    $0.pool = pool
                    $0.poolRead = Date()
                }
            } catch {
                logger.warning("station \(station.slug): the catalog did not answer; choosing from what it had: \(String(describing: error))")
            }
        }
        await refreshJingles(libraries: libraries)
        let now = Clock.nowMillis()
        let upcoming = upcomingItems()
        let station = self.station
        let trackGap = Int64(station.trackGapMinutes) * 60_000, artistGap = Int64(station.artistGapMinutes) * 60_000
        let songs = state.withLockedValue { state -> [AutoDJ.Candidate] in
            state.aired.removeAll { $0.at < now - max(trackGap, artistGap) }
            // Station IDs air as station IDs, not as songs of the rotation.
            let jingles = Set(station.airsJingles ? state.jingles.map(\.id) : [])
            return AutoDJ.choose(
                count: count, from: AutoDJ.weightedOrder(airablePool(state).filter { !jingles.contains(String($0.trackID)) }), aired: state.aired,
                upcoming: upcoming,
                now: now, trackGapMillis: trackGap,
                artistGapMillis: artistGap)
        }.map(\.item)
        return await withLoudness(withJingles(songs))
    }

    /// The airable tracks of a station's jingle playlist, as the playout airs them.
    static func jingles(of playlist: Int64, station: StationRecord, libraries: [Int64], on db: any SQLDatabase) async throws -> [PlayoutItem] {
        let entries = try await RadioPlaylists.resolve([playlist], station: station, libraries: libraries, on: db)[playlist] ?? []
        let tracks = try await CatalogQueries.airableTracks(ids: Array(Set(entries.map(\.trackID))), libraries: libraries, on: db)
        return entries.compactMap { entry in
            tracks[entry.trackID].map { entry.playoutItem(of: $0, tag: "j") }
        }
    }

    /// The jingle playlist's tracks, read every minute (kept when the database does not answer).
    func refreshJingles(libraries: [Int64]) async {
        let station = self.station
        guard station.airsJingles, let playlist = station.jinglePlaylistID else { return }
        if state.withLockedValue({ Date().timeIntervalSince($0.jinglesRead) > 60 || $0.jinglesPlaylist != playlist }) {
            do {
                let jingles = try await Self.jingles(of: playlist, station: station, libraries: libraries, on: db)
                state.withLockedValue {
                    $0.jingles = jingles
                    $0.jinglesRead = Date()
                    $0.jinglesPlaylist = playlist
                }
            } catch {
                logger.warning("station \(station.slug): the jingles could not be read: \(String(describing: error))")
            }
        }
    }

    /// A station ID from the jingle playlist after every `jingleEvery` songs of the rotation.
    private func withJingles(_ songs: [PlayoutItem]) -> [PlayoutItem] {
        let station = self.station
        guard station.jingleEvery > 0, station.jinglePlaylistID != nil else { return songs }
        return state.withLockedValue { state in
            var result: [PlayoutItem] = []
            for song in songs {
                result.append(song)
                state.songsSinceJingle += 1
                if state.songsSinceJingle >= station.jingleEvery, let jingle = state.jingles.randomElement() {
                    result.append(jingle)
                    state.songsSinceJingle = 0
                }
            }
            return result
        }
    }

    /// Dead air, counted and logged each time, announced (`station.dead_air`, an administrator's
    /// notification) once a minute at most: a station whose library cannot be read falls back often.
    private func deadAir(_ why: String) {
        let now = Date()
        let raise = state.withLockedValue { state in
            guard now.timeIntervalSince(state.deadAirRaised) > 60 else { return false }
            state.deadAirRaised = now
            return true
        }
        logger.error("station \(station.slug): dead air: \(why)")
        Counter(label: "cadenza_radio_dead_air_total", dimensions: [("station", station.slug)]).increment()
        guard raise else { return }
        let station = self.station
        Task { [db] in
            try? await EventStore.append(
                RadioEvents.deadAir, payload: .init(slug: station.slug, name: station.name), actorID: nil, subjectID: station.slug, on: db)
        }
    }

    /// The queued items and the one on air (the rotation must not pick them again).
    func upcomingItems() -> [PlayoutItem] {
        let current = state.withLockedValue { $0.current?.item }
        return (current.map { [$0] } ?? []) + engine.upcoming
    }

    /// Turns what the engine reports into as-run writes and announcements, and applies them in
    /// order; what the database refuses is kept and retried each second (nothing is lost while
    /// it is away, and the station airs on regardless).
    private func record() async {
        for await note in notes {
            if case .engine(let event) = note { noteEvent(event) }
            await flush()
        }
    }

    private func noteEvent(_ event: PlayoutEvent) {
        switch event {
        case .started(let item, let frame):
            airing(item, frame: frame, source: item.tag.hasPrefix("s") ? .scheduled : item.tag == "live" ? .live : .autodj)
        case .fallback(let frame):
            airing(PlayoutItem(id: "", path: "", title: station.name, artist: "", durationMs: 0), frame: frame, source: .fallback)
            deadAir("nothing to air; the fallback tone is on")
        case .silence(_, let frames):
            let what = state.withLockedValue { $0.current?.item.streamTitle } ?? "what airs"
            deadAir("the output has been silent for \(PCM.milliseconds(frames: frames) / 1_000) s (\(what))")
        case .failed(let item, _):
            logger.warning("station \(station.slug): \(item.path) gave no audio; skipped")
            if let cache, item.tag != "live", !cache.contains(item.path) {
                // A file that cannot be opened, or whose share does not answer (not one that is
                // merely corrupt), hints at storage away.
                Task { [state] in
                    if await !Self.reachable(item.path) { state.withLockedValue { $0.storageFailedAt = Clock.nowMillis() } }
                }
            }
            if item.tag == "live" { liveItemEnded(item) }
        case .finished(let item, _, _):
            if item.tag == "live" { liveItemEnded(item) }
        case .underrun:
            break
        }
    }

    /// Closes the as-run entry of what aired before and opens one for `item` (or continues the
    /// interrupted one it resumes).
    private func airing(_ item: PlayoutItem, frame: Int64, source: AsRunLog.Source) {
        let at = wallMillis(frame)
        state.withLockedValue { state in
            if let previous = state.current {
                // A resumed item's length counts from its first start, before the interruption.
                let aired = PCM.milliseconds(frames: frame - previous.frame) + Int64(previous.priorMs)
                state.pendingWrites.append(.asRun(.finished(startedAt: previous.startedAt, durationMs: aired)))
                for heard in Self.heardByListeners(previous, until: at, in: state, slug: station.slug) {
                    state.pendingWrites.append(.heard(heard))
                }
            }
            var startedAt = at
            var prior = 0
            if let resume = state.resume, resume.itemID == item.id, item.startMs > 0 {
                startedAt = resume.startedAt
                prior = resume.offsetMs
                state.resume = nil
            } else {
                state.pendingWrites.append(
                    .asRun(
                        .started(
                            trackID: Int64(item.id), title: item.title, artist: item.artist, source: source, at: startedAt,
                            scheduledAt: item.tag.hasPrefix("s") ? Int64(item.tag.dropFirst()) : nil)))
            }
            state.current = (item, frame, source, startedAt, prior)
            // The external server learns the title when the audio reaches it, not ahead of it.
            pushTitle(source == .fallback ? station.name : item.streamTitle, delay: max(0, at - Clock.nowMillis()))
            state.aired.append((Int64(item.id), item.artist, at))
            state.announce = true
        }
    }

    /// Tells the external servers (if the station relays to any) what airs, after `delay` ms: each
    /// on its own (one that does not answer holds up no other), and only those taking the stream
    /// now (one that connects later is told on connecting).
    func pushTitle(_ title: String, delay: Int64 = 0) {
        guard !relays.isEmpty else { return }
        let (client, logger, titles, relays) = (client, logger, currentTitle, relays)
        Task {
            try? await Task.sleep(for: .milliseconds(delay))
            titles.withLockedValue { $0 = title }
            await withTaskGroup(of: Void.self) { group in
                for relay in relays where relay.connected {
                    group.addTask {
                        // A newer title came meanwhile: that one is sent instead.
                        guard titles.withLockedValue({ $0 }) == title else { return }
                        await Self.sendTitle(title, to: relay.target, client: client, logger: logger)
                    }
                }
            }
        }
    }

    private func flush() async {
        // One flusher at a time (the recorder's, or the last one at stop): each write once, in order.
        guard
            state.withLockedValue({ state in
                defer { state.flushing = true }
                return !state.flushing
            })
        else { return }
        defer { state.withLockedValue { $0.flushing = false } }
        while let write = state.withLockedValue({ $0.pendingWrites.first }) {
            do {
                switch write {
                case .asRun(let entry): try await AsRunLog.apply(entry, stationID: station.id, on: db)
                case .listeners(let sample): try await ListenerStats.write(sample, stationID: station.id, on: db)
                case .agents(let sample): try await ListenerStats.write(sample, stationID: station.id, on: db)
                case .heard(let heard):
                    try await EventStore.append(
                        RadioEvents.heard, payload: heard, actorID: heard.userId, subjectID: station.slug, audienceUserID: heard.userId,
                        on: db)
                }
                state.withLockedValue { _ = $0.pendingWrites.removeFirst() }
            } catch {
                let waiting = state.withLockedValue { $0.pendingWrites.count }
                logger.warning("station \(station.slug): \(waiting) as-run writes wait for the database: \(String(describing: error))")
                return
            }
        }
        if let relays = state.withLockedValue({ $0.pendingRelays }) {
            do {
                try await RelayStatuses.write(relays, stationID: station.id, on: db)
                state.withLockedValue { state in
                    if state.pendingRelays?.at == relays.at { state.pendingRelays = nil }
                }
            } catch {
                // (The as-run writes' warning says the database is away.)
                logger.debug("station \(station.slug): could not write how its relays are doing: \(String(describing: error))")
            }
        }
        guard state.withLockedValue({ $0.announce }) else { return }
        do {
            try await EventStore.append(
                RadioEvents.nowPlaying, payload: try await nowPlaying(), actorID: station.ownerID, subjectID: station.slug,
                audienceUserID: station.ownerID, visibility: RadioEvents.visibility(of: station), on: db)
            state.withLockedValue { $0.announce = false }
        } catch {
            logger.warning("station \(station.slug): could not announce what airs: \(String(describing: error))")
        }
    }

    /// Wall-clock milliseconds at which bus frame `frame` airs.
    func wallMillis(_ frame: Int64) -> Int64 {
        let started = state.withLockedValue { $0.busStarted }
        return Int64((started.timeIntervalSince1970 * 1000).rounded()) + PCM.milliseconds(frames: frame)
    }

    func nowPlaying() async throws -> NowPlayingDTO {
        let current = state.withLockedValue { $0.current }
        let now = Clock.nowMillis()
        var playing: NowPlayingDTO.Current?
        if let current {
            // A resumed item started before the interruption: its progress counts from then.
            let at = current.startedAt
            let length = current.item.playMs + current.priorMs
            let elapsed = Int(max(0, min(Int64(Int.max), now - at)))
            playing = .init(
                song: Self.song(current.item), source: current.source, playedAt: Clock.date(at), durationMs: max(0, length),
                elapsedMs: elapsed, remainingMs: max(0, length - elapsed))
        }
        // Without the database the history is left out, not the answer.
        let history = (try? await AsRunLog.recent(stationID: station.id, limit: 11, on: db)) ?? []
        var listeners = mounts.values.reduce(into: (0, 0)) { total, mount in
            total.0 += mount.listenerCount
            total.1 += mount.peakListeners
        }
        if hlsEncoder != nil {
            // HLS keeps no peak of its own: its listeners now count toward both.
            let hls = hlsAudience.listenerCount
            listeners = (listeners.0 + hls, listeners.1 + hls)
        }
        let show = ScheduleWindow.occurrences(state.withLockedValue { $0.schedule }).first { $0.start <= now && now < $0.end }
        return NowPlayingDTO(
            station: station.slug, name: station.name, onAir: true, nowPlaying: playing,
            show: show.map { .init(id: String($0.showID), title: $0.title, start: Clock.date($0.start), end: Clock.date($0.end)) },
            playingNext: engine.upcoming.prefix(3).map(Self.song),
            // The newest entry is the one on air.
            songHistory: Array(history.dropFirst(current == nil ? 0 : 1)),
            listeners: .init(current: listeners.0, peak: listeners.1), outputs: await outputDelays(now: now))
    }

    /// A relay's title update, as the server takes it: Icecast's `/admin/metadata` with the source
    /// credentials, SHOUTcast's `/admin.cgi` with the password (v1 servers answer only browsers).
    @discardableResult
    static func sendTitle(_ title: String, to target: PushTarget, client: any Client, logger: Logger) async -> Bool {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let encode = { (text: String) in text.addingPercentEncoding(withAllowedCharacters: allowed) ?? "" }
        var headers = HTTPHeaders()
        let uri: URI
        switch target.kind {
        case .icecast:
            uri = URI(string: "http://\(target.authority)/admin/metadata?mount=\(encode(target.mount))&mode=updinfo&song=\(encode(title))")
            headers.basicAuthorization = BasicAuthorization(username: target.user, password: target.password)
        case .shoutcast:
            let stream = target.streamID.map { "&sid=\($0)" } ?? ""
            uri = URI(string: "http://\(target.authority)/admin.cgi?pass=\(encode(target.password))&mode=updinfo&song=\(encode(title))\(stream)")
            headers.replaceOrAdd(name: .userAgent, value: "Mozilla/5.0 (compatible; Cadenza)")
        }
        do {
            let response = try await client.get(uri, headers: headers) { $0.timeout = .seconds(5) }
            guard response.status == .ok else {
                logger.warning("relay \(target.redacted) refused the title: \(response.status.code)")
                return false
            }
            return true
        } catch {
            logger.warning("relay \(target.redacted) did not take the title: \(String(describing: error))")
            return false
        }
    }

    static func song(_ item: PlayoutItem) -> StationSongDTO {
        StationSongDTO(
            trackId: item.id.isEmpty ? nil : item.id, title: item.title, artist: item.artist, text: item.streamTitle,
            gainDb: item.gainDB == 0 ? nil : item.gainDB)
    }
}

import AsyncHTTPClient
import Fluent
import Foundation
import NIOConcurrencyHelpers
import SQLKit
import ServiceLifecycle
import Vapor

/// The stations on air in this process, kept in step with the `stations` table: a station
/// created (over the API or `cadenza station create`, by any process) goes on air within
/// seconds; a changed one restarts with its new settings; a deleted one goes off air.
///
/// Each station airs in one process of the cluster at a time: a short lease per station
/// (`radio.station.ID`), renewed several times a second. Another process (a standby playout)
/// takes a lease over once it has expired, so the station is back within about two seconds of
/// its playout dying; a process restarted on the same machine and data directory takes the
/// lease of its dead predecessor at once (resuming within a second). A renewal that fails because the database is away keeps the station on air (a station
/// airs through an outage); only a lease seen held by another process takes it off. So that a
/// playout which lost only its own database link is not doubled, a standby that finds the lease
/// expired first asks its holder at the address it wrote with the lease (`/playout/airing`), and
/// takes it over only when the holder does not answer that it airs the station.
actor RadioStations {
    private var playouts: [String: StationPlayout] = [:]
    /// The stations this process may air (all of them, or the one of a playout process), as last read.
    private var wanted: [String: StationRecord] = [:]
    private var generation = 0
    /// A claim round under way: rounds never overlap (an older round's answer would undo a newer one's).
    private var claiming = false
    private let ffmpeg: String
    private let hlsRoot: URL
    private let statsInterval: TimeInterval
    /// The one station a `cadenza playout` process airs; nil: every station.
    private let only: String?
    /// Whether this process airs stations at all (not `cadenza serve` with external playout).
    private let airs: Bool
    /// Who this process is for the stations' leases: its node and data directory.
    let owner: String
    /// Where other playouts reach this process (written with each lease).
    let address: String
    /// Stations whose expired lease's holder still answers, as last logged (a warning per episode).
    private var fenced: [String: String] = [:]
    /// What a standby copied of each station's rotation, handed to the station's playout here.
    var standbyReserve: [String: [AutoDJ.Candidate]] = [:]
    /// Stops the standby's copying round under way.
    var standbyStop = NIOLockedValueBox(false)
    /// The local copies of what the stations air next (nil: none kept).
    let cache: MediaCache?
    static let lease: Duration = .milliseconds(1_000)
    /// How often leases are renewed (and a standby looks at them).
    static let round: Duration = .milliseconds(400)
    /// When the soonest lease another process holds runs out (ms since 1970): a standby's next
    /// round comes then rather than up to a round later (a takeover sooner by 0.2 s on average).
    private var nextExpiry: Int64?
    /// Playouts still stopping (their last writes, their state file), by slug: a new playout of
    /// the same station waits for its predecessor (it would read a state file about to be
    /// rewritten, and an external Icecast refuses a second source on the mount).
    private var stopping: [String: [Stopping]] = [:]
    /// How long a new playout waits for its predecessor's stop before it airs regardless.
    static let stopDeadline: Duration = .seconds(5)

    /// A playout's stop under way, and whether it is done (polled: its task cannot be awaited with a deadline).
    struct Stopping {
        let task: Task<Void, Never>
        let done: NIOLockedValueBox<Bool>

        var isDone: Bool { done.withLockedValue { $0 } }
    }

    /// How long until the next claim round.
    func untilNextRound() -> Duration {
        guard let nextExpiry else { return Self.round }
        let wait = nextExpiry + 5 - Clock.nowMillis()
        return min(Self.round, .milliseconds(max(10, wait)))
    }

    init(
        ffmpeg: String, hlsRoot: URL, statsInterval: TimeInterval, only: String? = nil, mediaCacheMB: Int = 0, airs: Bool = true,
        owner: String = Leases.processOwner(), address: String = ""
    ) {
        let directory = hlsRoot.deletingLastPathComponent().appendingPathComponent("playout/media", isDirectory: true)
        cache = airs && mediaCacheMB > 0 ? MediaCache(directory: directory, limitBytes: Int64(mediaCacheMB) << 20, name: only ?? "all") : nil
        self.ffmpeg = ffmpeg
        self.hlsRoot = hlsRoot
        self.statsInterval = statsInterval
        self.only = only
        self.airs = airs
        self.owner = owner
        self.address = address
    }

    /// The stations this process may air that another process airs now.
    func standingBy() -> [(String, StationRecord)] {
        wanted.filter { playouts[$0.key] == nil }.map { ($0.key, $0.value) }
    }

    func isStandingBy(_ slug: String) -> Bool { wanted[slug] != nil && playouts[slug] == nil }

    /// Whether this process airs the station under the lease holder name `holder`.
    /// `holder` may also be this machine and data directory's previous process (its lease, when
    /// this one went on air from disk while the database was away).
    func airs(stationID: Int64, as holder: String) -> Bool {
        (holder == owner || isSamePlace(holder)) && playouts.values.contains { $0.station.id == stationID }
    }

    /// Whether `holder` names a process of this machine and data directory (any process id).
    func isSamePlace(_ holder: String) -> Bool {
        guard let colon = owner.lastIndex(of: ":"), let theirs = holder.lastIndex(of: ":") else { return false }
        return owner[..<colon] == holder[..<theirs]
    }

    func playout(slug: String) -> StationPlayout? { playouts[slug] }

    static func leaseKey(_ station: StationRecord) -> String { "radio.station.\(station.id)" }

    /// A lease holder's name: its node and data directory (what a restart keeps) and its process id.
    static func owner(node: String, dataDirectory: String) -> String {
        "\(node):\(dataDirectory):\(ProcessInfo.processInfo.processIdentifier)"
    }

    /// Whether `holder` was a process of this machine and data directory that is gone (killed,
    /// crashed): its lease need not run out before this process airs the station.
    func isDeadPredecessor(_ holder: String) -> Bool {
        guard let colon = owner.lastIndex(of: ":"), let theirs = holder.lastIndex(of: ":"),
            owner[..<colon] == holder[..<theirs], let pid = Int32(holder[holder.index(after: theirs)...]), pid > 0,
            pid != ProcessInfo.processInfo.processIdentifier
        else { return false }
        return kill(pid, 0) == -1 && errno == ESRCH
    }

    /// Applies the newest snapshot of the table; a slower call that read an older one gives way
    /// (the apply itself never suspends, so two calls cannot interleave in it). New stations
    /// are claimed at once.
    func reconcile(app: Application) async throws {
        generation += 1
        let mine = generation
        let stations = try await Stations.all(on: app.sql)
        guard mine == generation else { return }
        wanted = airs ? Dictionary(uniqueKeysWithValues: stations.filter { only == nil || $0.slug == only }.map { ($0.slug, $0) }) : [:]
        for (slug, playout) in playouts where wanted[slug] != playout.station {
            let before = playout.station
            // Name, description or crossfade change on air; other outputs or bitrate, or a
            // narrower audience (its listeners must go), need a new playout.
            if let changed = wanted[slug], changed.id == before.id, changed.outputs == before.outputs,
                changed.bitrate == before.bitrate, changed.pushURLSealed == before.pushURLSealed,
                changed.visibility.openness >= before.visibility.openness
            {
                playout.update(changed)
                continue
            }
            let deleted = wanted[slug] == nil
            stop(slug, removingFiles: deleted && !stations.contains { $0.slug == slug })
        }
        await claim(app: app)
    }

    /// Takes or renews each wanted station's lease; starts what it now holds, stops what another
    /// process holds. Called several times a second.
    func claim(app: Application) async {
        guard !claiming else { return }
        claiming = true
        defer { claiming = false }
        let stations = wanted
        let owner = owner, address = address, db = app.sql
        // The leases of what airs here are renewed in one statement (a round trip and a
        // statement per station, several times a second, were a tenth of a station's CPU).
        let airing = stations.filter { playouts[$0.key] != nil }
        let renewed: Set<String>?
        do {
            renewed = try await Leases.renew(airing.values.map(Self.leaseKey), owner: owner, duration: Self.lease, address: address, on: db)
        } catch {
            renewed = nil
        }
        // The rest side by side: a round takes one round trip, however many stations there are.
        let others = stations.filter { slug, station in renewed.map { !$0.contains(Self.leaseKey(station)) } ?? (airing[slug] == nil) }
        var answers = await withTaskGroup(of: (String, Bool?).self) { group in
            for (slug, station) in others {
                group.addTask {
                    // Renewed when it is this process's; a lease another let expire is not taken
                    // before its holder was asked (below).
                    let held = try? await Leases.acquire(
                        Self.leaseKey(station), owner: owner, duration: Self.lease, address: address, takingExpired: false, on: db)
                    return (slug, held)
                }
            }
            return await group.reduce(into: [String: Bool?]()) { $0[$1.0] = $1.1 }
        }
        for (slug, station) in airing {
            if renewed == nil {
                answers[slug] = .some(nil)  // The database is away: what airs goes on airing.
            } else if renewed?.contains(Self.leaseKey(station)) == true {
                answers[slug] = true
            }
        }
        // Leases held elsewhere that ran out, or whose holder was this place's previous process.
        var expired: [String: Leases.Holding] = [:]
        var soonest: Int64?
        for (slug, station) in stations where answers[slug] == false {
            guard let holding = try? await Leases.holding(Self.leaseKey(station), on: db) else { continue }
            if holding.expired || isDeadPredecessor(holding.owner) {
                expired[slug] = holding
            } else {
                soonest = min(soonest ?? holding.expiresAt, holding.expiresAt)
            }
        }
        nextExpiry = soonest
        // Their holders are asked at once, side by side (a station aired here is not taken from
        // another that holds it: it goes off air here, below).
        let toAsk = expired.filter { !isDeadPredecessor($0.value.owner) && playouts[$0.key] == nil }.compactMap { slug, holding in
            stations[slug].map { (slug, $0, holding) }
        }
        let answering = await withTaskGroup(of: (String, Bool).self) { group in
            for (slug, station, holding) in toAsk {
                group.addTask { (slug, await Self.stillAirs(station, holding)) }
            }
            return await group.reduce(into: Set<String>()) { if $1.1 { $0.insert($1.0) } }
        }
        for (slug, station) in stations {
            let key = Self.leaseKey(station)
            var held = answers[slug] ?? nil
            if held == false, let holding = expired[slug], isDeadPredecessor(holding.owner) {
                // (Also when this process airs it already: from disk, while the database was away.)
                try? await Leases.release(key, owner: holding.owner, on: db)
                held = try? await Leases.acquire(key, owner: owner, duration: Self.lease, address: address, on: db)
            } else if held == false, playouts[slug] == nil, let holding = expired[slug] {
                if answering.contains(slug) {
                    if fenced[slug] != holding.owner {
                        fenced[slug] = holding.owner
                        app.logger.warning(
                            "station \(slug): its lease ran out, but its playout still airs it (it cannot reach the database); not airing it twice",
                            metadata: ["holder": .string(holding.owner), "address": .string(holding.address ?? "")])
                    }
                } else {
                    held = try? await Leases.takeOver(key, from: holding.owner, owner: owner, duration: Self.lease, address: address, on: db)
                }
            }
            if held == true { fenced[slug] = nil }
            // The table may have changed while the database answered.
            guard let current = wanted[slug], current.id == station.id else { continue }
            switch held {
            case true?:
                if playouts[slug] == nil { start(current, app: app) }
            case false?:
                if playouts[slug] != nil {
                    app.logger.warning("station \(slug): another playout holds it now; going off air here")
                    stop(slug, removingFiles: false, handedOff: true)
                }
            case nil:
                break  // The database is away: what airs goes on airing.
            }
        }
        let aired = Dictionary(playouts.values.map { ($0.station.id, $0) }, uniquingKeysWith: { first, _ in first })
        guard !aired.isEmpty, let pending = try? await StationRequests.take(stationIDs: Array(aired.keys), on: app.sql), !pending.isEmpty
        else { return }
        // Applied outside the round: looking tracks up must not hold the leases' renewal.
        Task { await Self.apply(pending, to: aired, app: app) }
    }

    private static let probe = HTTPClient(
        eventLoopGroup: HTTPClient.defaultEventLoopGroup,
        configuration: HTTPClient.Configuration(
            redirectConfiguration: .disallow, timeout: .init(connect: .milliseconds(300), read: .milliseconds(400))))

    static let holderHeader = "X-Cadenza-Lease-Holder"

    /// Whether the holder of an expired lease answers that it still airs the station. A holder
    /// that wrote no address (an older version) or does not answer in time is taken as gone.
    static func stillAirs(_ station: StationRecord, _ holding: Leases.Holding) async -> Bool {
        guard let address = holding.address, var url = URLComponents(string: address) else { return false }
        url.path = "/playout/airing/\(station.id)"
        guard let target = url.url else { return false }
        // In a header: a holder name is free text (a data directory may hold "+" or "&").
        var request = HTTPClientRequest(url: target.absoluteString)
        request.headers.add(name: Self.holderHeader, value: holding.owner)
        do {
            let response = try await probe.execute(request, timeout: .milliseconds(500))
            return response.status == .noContent
        } catch {
            return false
        }
    }

    /// Skips and "play next"s other processes took for the stations aired here.
    private static func apply(_ pending: [StationRequests.Pending], to aired: [Int64: StationPlayout], app: Application) async {
        for request in pending {
            guard let playout = aired[request.stationID] else { continue }
            switch request.kind {
            case .skip:
                if let id = request.trackID { playout.skip(trackID: id) } else { playout.skip() }
            case .next:
                guard let id = request.trackID, let libraries = try? await AutoDJ.libraries(for: playout.station, on: app.db),
                    let track = try? await CatalogQueries.airableTrack(id: id, libraries: libraries, on: app.sql)
                else { continue }
                _ = await playout.playNext(track)
            }
        }
    }

    private func start(_ station: StationRecord, app: Application) {
        let pushes = PushTarget.list(stored: station.pushURLSealed.flatMap { try? app.secretBox.open($0) })
        let playout = StationPlayout(
            station: station, app: app, ffmpeg: ffmpeg, hlsRoot: hlsRoot, pushes: pushes, statsInterval: statsInterval, cache: cache)
        playouts[station.slug] = playout
        standbyStop.withLockedValue { $0 = true }
        if let reserve = standbyReserve.removeValue(forKey: station.slug) { playout.seedReserve(reserve) }
        // Every earlier playout of the station still stopping, not only the last: a playout
        // stopped while it waited is done at once, its own predecessor may not be.
        let previous = (stopping[station.slug] ?? []).filter { !$0.isDone }
        guard !previous.isEmpty else {
            playout.start()
            return
        }
        let logger = app.logger
        Task {
            let deadline = ContinuousClock.now + Self.stopDeadline
            while previous.contains(where: { !$0.isDone }), ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(20))
            }
            if previous.contains(where: { !$0.isDone }) {
                logger.warning("station \(station.slug): its previous playout is still stopping after \(Self.stopDeadline); airing anyway")
            }
            self.launch(playout, slug: station.slug)
        }
    }

    /// Starts a playout that waited for its predecessor, unless it was stopped, replaced or its
    /// station deleted meanwhile (it would read the state file and write the as-run log of a
    /// station it no longer airs).
    private func launch(_ playout: StationPlayout, slug: String) {
        guard playouts[slug] === playout else { return }
        playout.start()
    }

    private func stop(_ slug: String, removingFiles: Bool, handedOff: Bool = false) {
        guard let playout = playouts.removeValue(forKey: slug) else { return }
        let done = NIOLockedValueBox(false)
        let task = Task {
            await playout.stop(handedOff: handedOff)
            // A deleted station's HLS and state files go with it (a changed one appends to its playlist).
            if removingFiles {
                await runBlocking {
                    try? FileManager.default.removeItem(atPath: playout.hlsDirectory)
                    try? FileManager.default.removeItem(at: playout.stateFile)
                }
            }
            done.withLockedValue { $0 = true }
        }
        stopping = stopping.compactMapValues { list in
            let running = list.filter { !$0.isDone }
            return running.isEmpty ? nil : running
        }
        stopping[slug, default: []].append(Stopping(task: task, done: done))
    }

    /// The database did not answer at start: the stations this data directory aired last go
    /// on air from the state their playouts kept on disk, without a lease (nobody can take one
    /// while the database is away); the leases are claimed as soon as it answers.
    func startFromDisk(app: Application) async {
        guard airs, playouts.isEmpty else { return }
        // Only for a database that does not answer at all (not one that answers with an error,
        // such as a migration not yet applied): then the leases cannot be read either.
        if (try? await app.sql.raw("SELECT 1 AS one").first()) != nil { return }
        let directory = hlsRoot.deletingLastPathComponent().appendingPathComponent("playout", isDirectory: true)
        let logger = app.logger
        let snapshots = await runBlocking {
            ((try? FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)) ?? [])
                .filter { $0.pathExtension == "json" }.compactMap { StationPlayout.loadSnapshot($0, logger: logger) }
        }
        let now = Clock.nowMillis()
        for snapshot in snapshots where (only == nil || snapshot.station.slug == only) && StationPlayout.airable(snapshot, now: now) {
            let station = snapshot.station
            guard playouts[station.slug] == nil else { continue }
            app.logger.warning("station \(station.slug): the database is away; airing from the state kept on disk")
            wanted[station.slug] = station
            start(station, app: app)
        }
    }

    /// Stops every station and gives their leases up, so a standby takes over at once.
    func stopAll(app: Application) async {
        standbyStop.withLockedValue { $0 = true }
        let all = Array(playouts.values)
        playouts.removeAll()
        let earlier = stopping.values.flatMap { $0.map(\.task) }
        stopping.removeAll()
        await withTaskGroup(of: Void.self) { group in
            for playout in all { group.addTask { await playout.stop() } }
            // Stops already under way finish too (their last writes, their state files).
            for task in earlier { group.addTask { await task.value } }
        }
        for playout in all {
            // Given up: a standby may air it now, so the state file is not to be aired from. (If
            // the database is away the lease stays, and so may a restart of this process.)
            if (try? await Leases.release(Self.leaseKey(playout.station), owner: owner, on: app.sql)) != nil {
                await playout.persist(handedOff: true)
            }
        }
    }
}

/// Runs every station's playout inside `cadenza serve` until graceful shutdown.
struct RadioService: Service {
    let stations: RadioStations
    let app: Application
    /// The live DJ input's port (0: none).
    var livePort = 0
    var host = "127.0.0.1"

    func run() async throws {
        let live = livePort > 0 ? LiveInputServer(app: app, stations: stations) : nil
        await live?.start(host: host, port: livePort)
        let standby = Task { [stations, app] in await stations.keepStandbyCopies(app: app) }
        defer { standby.cancel() }
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await stations.reconcile(app: app)
                } catch {
                    app.logger.warning("radio: could not read the stations: \(String(describing: error))")
                    await stations.startFromDisk(app: app)
                }
                // Leases are renewed well within their length; the table is read every 2 s.
                let read = ContinuousClock.now
                while ContinuousClock.now - read < .seconds(2) {
                    try await Task.sleep(for: await stations.untilNextRound())
                    await stations.claim(app: app)
                }
            }
        }
        await live?.stop()
        await stations.stopAll(app: app)
    }
}

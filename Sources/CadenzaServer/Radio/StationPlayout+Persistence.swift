import CadenzaPlayout
import Foundation
import Logging
import NIOConcurrencyHelpers

/// What a playout keeps on its own disk (`DATA/playout/SLUG.json`, written every few seconds):
/// the station, what the autoDJ chooses from, the schedule's coming hours, the station IDs,
/// what is on air and the writes the database has not taken yet. A playout restarted while the
/// database is away airs from it: the interrupted item at the wall clock's offset, the shows on
/// time, the rotation from its pool, and nothing it owed the database is lost.
extension StationPlayout {
    struct Snapshot: Codable {
        struct OnAir: Codable {
            var item: PlayoutItem
            var source: AsRunLog.Source
            /// When the play first started (before any earlier interruption), and how much aired before it.
            var startedAt: Int64
            var priorMs: Int
            /// When this item's first sample aired in the process that wrote the snapshot.
            var airedAt: Int64
        }

        var station: StationRecord
        var pool: [AutoDJ.Candidate]
        var schedule: [ScheduleWindow.Item]
        var jingles: [PlayoutItem]
        var onAir: OnAir?
        var pendingWrites: [Write]
        var savedAt: Int64
        /// Written as the station went to another process (its lease lost or given up): not to be aired from.
        var handedOff: Bool?
        /// The part of the rotation kept as local copies (older files lack it).
        var reserve: [AutoDJ.Candidate]?
    }

    /// How old a state file may be and still be aired from (the schedule window's length).
    static let snapshotLifetimeMillis: Int64 = 24 * 3_600_000

    static func stateFile(dataDirectory: URL, slug: String) -> URL {
        dataDirectory.appendingPathComponent("playout", isDirectory: true).appendingPathComponent("\(slug).json")
    }

    /// Writes the snapshot when what it holds has changed (an item started, a write is waiting or
    /// went through, the pool, schedule or station IDs were read anew; at least hourly, so the
    /// file never ages out on air), not every few seconds regardless: 200 KB a station adds up.
    func persistIfChanged() async {
        let fingerprint = state.withLockedValue { state -> Int in
            var hasher = Hasher()
            hasher.combine(state.current?.startedAt)
            hasher.combine(state.current?.item)
            hasher.combine(state.pendingWrites.count)
            hasher.combine(state.pool.count)
            hasher.combine(state.reserve.count)
            hasher.combine(state.poolRead)
            hasher.combine(state.schedule)
            hasher.combine(state.jingles)
            hasher.combine(Clock.nowMillis() / 3_600_000)
            return hasher.finalize()
        }
        guard state.withLockedValue({ $0.persistedFingerprint != fingerprint }) else { return }
        await persist()
        state.withLockedValue { $0.persistedFingerprint = fingerprint }
    }

    /// Writes the snapshot off the event loops, atomically (a kill mid-write leaves the last one).
    func persist(handedOff: Bool = false) async {
        // Stopped before it read the file: what is on disk is still its predecessor's, kept
        // (marked handed off if the station went to another process: not to be aired from).
        guard state.withLockedValue({ $0.loaded }) else {
            if handedOff { await markHandedOff() }
            return
        }
        var snapshot = state.withLockedValue { state in
            Snapshot(
                station: record.withLockedValue { $0 }, pool: state.pool, schedule: state.schedule, jingles: state.jingles,
                // (The bus's start read here, under the lock already held: wallMillis would take it again.)
                onAir: state.current.map {
                    .init(
                        item: $0.item, source: $0.source, startedAt: $0.startedAt, priorMs: $0.priorMs,
                        airedAt: Int64((state.busStarted.timeIntervalSince1970 * 1000).rounded()) + PCM.milliseconds(frames: $0.frame))
                },
                pendingWrites: state.pendingWrites, savedAt: Clock.nowMillis(), reserve: state.reserve)
        }
        if handedOff { snapshot.handedOff = true }
        let written = snapshot
        let file = stateFile
        let logger = logger
        await runBlocking {
            do {
                try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
                try JSONEncoder().encode(written).write(to: file, options: .atomic)
            } catch {
                logger.warning("station \(written.station.slug): could not keep its state on disk: \(String(describing: error))")
            }
        }
    }

    /// Marks the state file on disk (its predecessor's) as handed off, leaving the rest as written.
    private func markHandedOff() async {
        let file = stateFile
        let id = station.id
        let logger = logger
        await runBlocking {
            guard var snapshot = Self.loadSnapshot(file, logger: logger), snapshot.station.id == id, snapshot.handedOff != true else { return }
            snapshot.handedOff = true
            do {
                try JSONEncoder().encode(snapshot).write(to: file, options: .atomic)
            } catch {
                logger.warning("station \(snapshot.station.slug): could not mark its state file handed off: \(String(describing: error))")
            }
        }
    }

    static func loadSnapshot(_ file: URL, logger: Logger? = nil) -> Snapshot? {
        // Bounded: a state file is a few hundred kilobytes; anything far larger is not one.
        guard let size = try? file.resourceValues(forKeys: [.fileSizeKey]).fileSize, size < 64 << 20,
            let data = try? Data(contentsOf: file)
        else { return nil }
        do {
            return try JSONDecoder().decode(Snapshot.self, from: data)
        } catch {
            logger?.warning("radio: the state file \(file.lastPathComponent) cannot be read: \(String(describing: error))")
            return nil
        }
    }

    /// Whether a state file may be aired from while the database is away: recent, and not
    /// written as the station went to another process.
    static func airable(_ snapshot: Snapshot, now: Int64) -> Bool {
        snapshot.handedOff != true && now - snapshot.savedAt < snapshotLifetimeMillis
    }

    /// Takes what the last process kept: the pool, schedule and station IDs as a start (the
    /// database replaces them when it answers), and the writes it still owed, first in line.
    func restore(_ snapshot: Snapshot) {
        state.withLockedValue { state in
            state.pool = snapshot.pool
            state.reserve = snapshot.reserve ?? []
            // Read again from the database within seconds when it answers.
            state.poolRead = Date().addingTimeInterval(-50)
            state.schedule = snapshot.schedule
            state.jingles = snapshot.jingles
            state.jinglesPlaylist = record.withLockedValue { $0.jinglePlaylistID }
            state.jinglesRead = Date().addingTimeInterval(-50)
            state.pendingWrites = snapshot.pendingWrites + state.pendingWrites
        }
    }

    /// Without the database: the item the last process was airing, where the wall clock says it
    /// is now (its as-run entry continues), if it has not run out.
    func resumeFromSnapshot(_ onAir: Snapshot.OnAir, now: Int64) -> Bool {
        let into = now - onAir.airedAt
        var item = onAir.item
        guard into >= 0, item.tag != "live", !item.path.isEmpty else { return false }
        item.startMs += Int(clamping: into)
        guard item.startMs < (item.endMs ?? item.durationMs) - 1_000 else { return false }
        queue.append(item)
        state.withLockedValue { $0.resume = (item.id, onAir.startedAt, onAir.priorMs + Int(clamping: into)) }
        logger.info("station \(station.slug) resumes \(item.title) at \(item.startMs) ms from its own disk (the database is away)")
        return true
    }
}

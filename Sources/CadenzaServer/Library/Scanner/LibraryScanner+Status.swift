import SQLKit

extension LibraryScanner {
    /// Where scanning stands, as Subsonic's getScanStatus reports it.
    struct Status: Sendable {
        var scanning: Bool
        var trackCount: Int
        var folderCount: Int
        var lastScanAt: Int64?
    }

    /// Scans queued or running, and the tracks of the `visible` libraries.
    static func status(visible: [Int64], on db: any SQLDatabase) async throws -> Status {
        let live = try await JobQueue.liveCount(kind: jobKind, on: db)
        var count = 0
        if let libs = CatalogQueries.libraries(visible, .init()) {
            count = try await db.raw("SELECT COUNT(*) AS n FROM tracks WHERE library_id IN (\(libs))").first()?.decode(column: "n", as: Int.self) ?? 0
        }
        let folders = try await db.raw("SELECT MAX(last_scan_at) AS m, COUNT(*) AS n FROM library_folders").first()
        return Status(
            scanning: live > 0, trackCount: count, folderCount: try folders?.decode(column: "n", as: Int.self) ?? 0,
            lastScanAt: try folders?.decode(column: "m", as: Int64?.self))
    }
}

import Fluent
import SQLKit
import Vapor

/// A library: one or more folders on disk (or an upload area), an owner and a visibility.
struct LibraryRecord: Sendable {
    enum Visibility: String, Codable, Sendable, CaseIterable {
        /// Only the owner (and administrators).
        case `private`
        /// Every user of this instance.
        case instance
        /// Every user, and later federated peers.
        case `public`
    }

    enum Kind: String, Codable, Sendable {
        case folders, uploads
        /// A mirror of a library on another instance (federation): its files are fetched on play.
        case remote
    }

    var id: Int64
    var name: String
    var ownerID: Int64?
    var visibility: Visibility
    var kind: Kind
    var createdAt: Int64

    init(row: any SQLRow) throws {
        id = try row.decode(column: "id", as: Int64.self)
        name = try row.decode(column: "name", as: String.self)
        ownerID = try row.decode(column: "owner_id", as: Int64?.self)
        visibility = Visibility(rawValue: try row.decode(column: "visibility", as: String.self)) ?? .private
        kind = Kind(rawValue: try row.decode(column: "kind", as: String.self)) ?? .folders
        createdAt = try row.decode(column: "created_at", as: Int64.self)
    }

    func isVisible(to viewer: Principal) -> Bool {
        viewer.isAdmin || ownerID == viewer.userID || visibility != .private
    }

    func isManageable(by viewer: Principal) -> Bool {
        viewer.isAdmin || ownerID == viewer.userID
    }
}

struct LibraryFolderRecord: Sendable {
    var id: Int64
    var libraryID: Int64
    var path: String
    var lastScanAt: Int64?

    init(row: any SQLRow) throws {
        id = try row.decode(column: "id", as: Int64.self)
        libraryID = try row.decode(column: "library_id", as: Int64.self)
        path = try row.decode(column: "path", as: String.self)
        lastScanAt = try row.decode(column: "last_scan_at", as: Int64?.self)
    }
}

/// Library queries, each scoped by what the caller may see.
enum Libraries {
    /// Folders stored under `old` (uploads, recorded sets) now under `new`: a backup restored
    /// into another data directory.
    static func moveFolders(from old: String, to new: String, on db: any SQLDatabase) async throws {
        let prefix = old.hasSuffix("/") ? old : old + "/"
        let target = new.hasSuffix("/") ? new : new + "/"
        try await db.raw(
            """
            UPDATE library_folders SET path = \(bind: target) || SUBSTR(path, CAST(\(bind: prefix.count + 1) AS INTEGER))
            WHERE SUBSTR(path, 1, CAST(\(bind: prefix.count) AS INTEGER)) = \(bind: prefix)
            """
        ).run()
    }

    static func all(on db: any SQLDatabase) async throws -> [LibraryRecord] {
        try await db.raw("SELECT * FROM libraries ORDER BY id").all().map(LibraryRecord.init(row:))
    }

    static func find(id: Int64, on db: any SQLDatabase) async throws -> LibraryRecord? {
        try await db.raw("SELECT * FROM libraries WHERE id = \(bind: id)").first().map(LibraryRecord.init(row:))
    }

    /// The ids of the libraries `viewer` may see; every catalog query filters tracks by these.
    static func visibleIDs(for viewer: Principal, on db: any SQLDatabase) async throws -> [Int64] {
        visibleIDs(for: viewer, in: try await visibilityTable(on: db))
    }

    /// Every library's id, visibility and owner, for deciding visibility of many users at once.
    static func visibilityTable(on db: any SQLDatabase) async throws -> [(id: Int64, visibility: String, ownerID: Int64?)] {
        try await db.raw("SELECT id, visibility, owner_id FROM libraries ORDER BY id").all().map {
            (
                try $0.decode(column: "id", as: Int64.self), try $0.decode(column: "visibility", as: String.self),
                try $0.decode(column: "owner_id", as: Int64?.self)
            )
        }
    }

    /// `visibleIDs(for:on:)` over a table read once.
    static func visibleIDs(for viewer: Principal, in table: [(id: Int64, visibility: String, ownerID: Int64?)]) -> [Int64] {
        visibleIDs(userID: viewer.userID, isAdmin: viewer.isAdmin, in: table)
    }

    /// The same rule for someone who is not calling (a station's owner; nil: no one in particular).
    static func visibleIDs(userID: Int64?, isAdmin: Bool, in table: [(id: Int64, visibility: String, ownerID: Int64?)]) -> [Int64] {
        table.filter { isAdmin || $0.visibility != "private" || ($0.ownerID != nil && $0.ownerID == userID) }.map(\.id)
    }

    /// The private libraries a user owns.
    static func privateIDs(ownedBy userID: Int64, on db: any SQLDatabase) async throws -> [Int64] {
        try await db.raw("SELECT id FROM libraries WHERE owner_id = \(bind: userID) AND visibility = 'private' ORDER BY id").all()
            .map { try $0.decode(column: "id", as: Int64.self) }
    }

    static func create(
        name: String, ownerID: Int64?, visibility: LibraryRecord.Visibility, kind: LibraryRecord.Kind,
        on db: any SQLDatabase
    ) async throws -> LibraryRecord {
        let row = try await db.raw(
            """
            INSERT INTO libraries (name, owner_id, visibility, kind, created_at)
            VALUES (\(bind: name), \(bind: ownerID), \(bind: visibility.rawValue), \(bind: kind.rawValue), \(bind: Clock.nowMillis()))
            RETURNING *
            """
        ).first()
        guard let row else { throw APIError(status: .internalServerError, code: "internal", message: "Library not created.") }
        try await CatalogCache.bump(on: db)  // who sees which libraries is cached per catalog version
        return try LibraryRecord(row: row)
    }

    static func folders(libraryID: Int64, on db: any SQLDatabase) async throws -> [LibraryFolderRecord] {
        try await db.raw("SELECT * FROM library_folders WHERE library_id = \(bind: libraryID) ORDER BY id")
            .all().map(LibraryFolderRecord.init(row:))
    }

    static func folder(id: Int64, on db: any SQLDatabase) async throws -> LibraryFolderRecord? {
        try await db.raw("SELECT * FROM library_folders WHERE id = \(bind: id)").first().map(LibraryFolderRecord.init(row:))
    }

    /// Adds a folder (an absolute, existing directory) to a library; returns the existing row if already added.
    static func addFolder(libraryID: Int64, path: String, on db: any SQLDatabase) async throws -> LibraryFolderRecord {
        let resolved = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
        var isDirectory: ObjCBool = false
        guard path.hasPrefix("/"), FileManager.default.fileExists(atPath: resolved, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw APIError.unprocessable("'\(path)' is not an existing absolute directory on the server.", code: "invalid_path")
        }
        // Insert-or-read, so that two requests adding the same folder at once both get it.
        var row = try await db.raw(
            """
            INSERT INTO library_folders (library_id, path, created_at) VALUES (\(bind: libraryID), \(bind: resolved), \(bind: Clock.nowMillis()))
            ON CONFLICT (path) DO NOTHING RETURNING *
            """
        ).first()
        if row == nil { row = try await db.raw("SELECT * FROM library_folders WHERE path = \(bind: resolved)").first() }
        guard let row else {
            throw APIError(status: .internalServerError, code: "internal", message: "Folder not added.")
        }
        let folder = try LibraryFolderRecord(row: row)
        guard folder.libraryID == libraryID else { throw APIError.conflict("That folder already belongs to another library.") }
        return folder
    }

    /// The library a folder belongs to, by its path (as added: resolved), if any.
    static func libraryID(ofFolder path: String, on db: any SQLDatabase) async throws -> Int64? {
        let resolved = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
        return try await db.raw("SELECT library_id FROM library_folders WHERE path = \(bind: resolved)").first()?
            .decode(column: "library_id", as: Int64.self)
    }

    /// Queues a scan of every folder of a library (one live scan per folder at a time).
    @discardableResult
    static func enqueueScan(libraryID: Int64, full: Bool, on db: any SQLDatabase) async throws -> [Int64] {
        var ids: [Int64] = []
        guard try await find(id: libraryID, on: db)?.kind != .remote else { return [] }  // nothing on disk to scan
        for folder in try await folders(libraryID: libraryID, on: db) {
            let job = try JobQueue.NewJob(
                kind: LibraryScanner.jobKind, payload: LibraryScanner.Payload(folderId: folder.id, full: full),
                priority: 5, maxAttempts: 3, uniqueKey: "scan:folder:\(folder.id)")
            if let id = try await JobQueue.enqueue(job, on: db) { ids.append(id) }
        }
        return ids
    }

    /// `cadenza serve --music-dir`: folders given at start join the instance library "Music".
    static func ensureMusicDirectories(_ paths: [String], on db: any SQLDatabase) async throws {
        guard !paths.isEmpty else { return }
        let existing = try await db.raw(
            """
            SELECT * FROM libraries WHERE kind = 'folders' AND owner_id IS NULL ORDER BY id LIMIT 1
            """
        ).first().map(LibraryRecord.init(row:))
        var library = existing
        if library == nil {
            library = try await create(name: "Music", ownerID: nil, visibility: .instance, kind: .folders, on: db)
        }
        guard let library else { return }
        for path in paths {
            _ = try await addFolder(libraryID: library.id, path: path, on: db)
        }
        try await enqueueScan(libraryID: library.id, full: false, on: db)
    }
}

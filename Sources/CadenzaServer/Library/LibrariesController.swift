import SQLKit
import Vapor

/// `/api/v1/libraries`: who owns what, its folders, scans and file errors.
enum LibrariesController {
    struct LibraryDTO: Content {
        var id: String
        var name: String
        var visibility: LibraryRecord.Visibility
        var kind: LibraryRecord.Kind
        var ownerId: String?
        var folders: [FolderDTO]?
        var createdAt: Date
    }

    struct FolderDTO: Content {
        var id: String
        var path: String
        var lastScanAt: Date?
    }

    struct CreateRequest: Content {
        var name: String
        var visibility: LibraryRecord.Visibility?
        var kind: LibraryRecord.Kind?
    }

    struct FolderRequest: Content {
        var path: String
    }

    struct ScanRequest: Content {
        var full: Bool?
    }

    static func dto(_ library: LibraryRecord, viewer: Principal, on db: any SQLDatabase) async throws -> LibraryDTO {
        // Server paths are for the people who manage the library.
        let folders =
            library.isManageable(by: viewer)
            ? try await Libraries.folders(libraryID: library.id, on: db).map {
                FolderDTO(id: String($0.id), path: library.kind == .uploads ? "(uploads)" : $0.path, lastScanAt: $0.lastScanAt.map(Clock.date))
            }
            : nil
        return LibraryDTO(
            id: String(library.id), name: library.name, visibility: library.visibility, kind: library.kind,
            ownerId: library.ownerID.map(String.init), folders: folders, createdAt: Clock.date(library.createdAt))
    }

    @Sendable static func list(req: Request) async throws -> [LibraryDTO] {
        let viewer = try req.requireUser()
        var result: [LibraryDTO] = []
        for library in try await Libraries.all(on: req.sql) where library.isVisible(to: viewer) {
            result.append(try await dto(library, viewer: viewer, on: req.sql))
        }
        return result
    }

    static func find(_ req: Request, manage: Bool) async throws -> (LibraryRecord, Principal) {
        let viewer = try req.requireUser()
        let id = try req.int64Parameter("id", what: "Library")
        guard let library = try await Libraries.find(id: id, on: req.sql), library.isVisible(to: viewer) else {
            throw APIError.notFound("Library")
        }
        if manage && !library.isManageable(by: viewer) { throw APIError.forbidden("Only the library's owner or an administrator may change it.") }
        return (library, viewer)
    }

    @Sendable static func show(req: Request) async throws -> LibraryDTO {
        let (library, viewer) = try await find(req, manage: false)
        return try await dto(library, viewer: viewer, on: req.sql)
    }

    /// Anyone may create an upload library of their own; folder libraries read the server's disk, so admins only.
    @Sendable static func create(req: Request) async throws -> Response {
        let viewer = try req.requireUser()
        let body = try await req.decodeJSON(CreateRequest.self)
        let name = body.name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...100).contains(name.count) else { throw APIError.unprocessable("Library names are 1 to 100 characters.") }
        let kind = body.kind ?? .uploads
        if kind == .remote { throw APIError.unprocessable("Remote libraries are made by following one on another instance.") }
        if kind == .folders && !viewer.isAdmin { throw APIError.forbidden("Only administrators can add folder libraries.") }
        let library = try await Libraries.create(name: name, ownerID: viewer.userID, visibility: body.visibility ?? .private, kind: kind, on: req.sql)
        if kind == .uploads {
            _ = try await Uploads.ensureFolder(for: library, settings: req.application.settings, on: req.sql)
        }
        let response = Response(status: .created)
        try response.content.encode(try await dto(library, viewer: viewer, on: req.sql))
        return response
    }

    @Sendable static func addFolder(req: Request) async throws -> Response {
        let (library, viewer) = try await find(req, manage: true)
        guard viewer.isAdmin else { throw APIError.forbidden("Only administrators can add folders from the server's disk.") }
        guard library.kind == .folders else { throw APIError.conflict("Upload libraries have no folders to add.") }
        let body = try await req.decodeJSON(FolderRequest.self)
        let folder = try await Libraries.addFolder(libraryID: library.id, path: body.path, on: req.sql)
        try await Libraries.enqueueScan(libraryID: library.id, full: false, on: req.sql)
        let response = Response(status: .created)
        try response.content.encode(FolderDTO(id: String(folder.id), path: folder.path, lastScanAt: nil))
        return response
    }

    struct ScanResponse: Content {
        var jobIds: [String]
    }

    @Sendable static func scan(req: Request) async throws -> Response {
        let (library, _) = try await find(req, manage: true)
        let body = req.body.data == nil ? ScanRequest(full: nil) : try await req.decodeJSON(ScanRequest.self)
        let ids = try await Libraries.enqueueScan(libraryID: library.id, full: body.full ?? false, on: req.sql)
        let response = Response(status: .accepted)
        try response.content.encode(ScanResponse(jobIds: ids.map(String.init)))
        return response
    }

    /// Files of a library, optionally only one status (`failed` shows why files did not import).
    @Sendable static func files(req: Request) async throws -> Page<FileDTO> {
        let (library, _) = try await find(req, manage: true)
        let paging = try CatalogController.paging(req)
        var query = req.sql.select().column("*").from("files").where("library_id", .equal, library.id)
        if let status = req.query[String.self, at: "status"] {
            guard ["pending", "imported", "failed"].contains(status) else { throw APIError.badRequest("status must be pending, imported or failed.") }
            query = query.where("status", .equal, status)
        }
        let rows = try await query.orderBy("id").limit(paging.limit).offset(paging.offset).all()
        return Page(items: try rows.map(CatalogQueries.file(row:)), limit: paging.limit, offset: paging.offset)
    }
}

import SQLKit
import Vapor

/// `GET /api/v1/uploads`: the caller's own uploads with their import status and reason.
enum UploadStatus {
    @Sendable static func list(req: Request) async throws -> Page<FileDTO> {
        let viewer = try req.requireUser()
        let paging = try CatalogController.paging(req)
        var query = req.sql.select().column("*").from("files").where("uploader_id", .equal, viewer.userID)
        if let status = req.query[String.self, at: "status"] {
            guard ["pending", "imported", "failed"].contains(status) else { throw APIError.badRequest("status must be pending, imported or failed.") }
            query = query.where("status", .equal, status)
        }
        let rows = try await query.orderBy("id", .descending).limit(paging.limit).offset(paging.offset).all()
        return Page(items: try rows.map(CatalogQueries.file(row:)), limit: paging.limit, offset: paging.offset)
    }
}

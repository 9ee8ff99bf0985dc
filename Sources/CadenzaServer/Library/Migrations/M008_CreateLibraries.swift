import Fluent
import SQLKit

/// Migration 008 - libraries (who owns them, who may see them) and their folders on disk.
struct M008_CreateLibraries: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("libraries")
            .field("id", .int64, .identifier(auto: true))
            .field("name", .string, .required)
            .field("owner_id", .int64, .references("users", "id", onDelete: .cascade))
            .field("visibility", .string, .required)
            .field("kind", .string, .required)
            .field("created_at", .int64, .required)
            .create()
        try await database.schema("library_folders")
            .field("id", .int64, .identifier(auto: true))
            .field("library_id", .int64, .required, .references("libraries", "id", onDelete: .cascade))
            .field("path", .string, .required)
            .field("created_at", .int64, .required)
            .field("last_scan_at", .int64)
            .unique(on: "path")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("library_folders").delete()
        try await database.schema("libraries").delete()
    }
}

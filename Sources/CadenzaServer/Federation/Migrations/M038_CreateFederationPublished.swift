import Fluent
import SQLKit

/// Migration 038 - what the followers of each local library have been told (file and version),
/// so a change to the library becomes Create, Update and Delete activities, each sent once.
struct M038_CreateFederationPublished: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("federation_published")
            .field("library_id", .int64, .required, .references("libraries", "id", onDelete: .cascade))
            .field("file_id", .int64, .required)
            .field("updated_at", .int64, .required)
            .unique(on: "library_id", "file_id")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("federation_published").delete()
    }
}

import Fluent
import SQLKit

/// Migration 037 - libraries that mirror a library on another instance: the remote library's id
/// on the mirror, and per file where its audio is fetched from (files of a remote library have
/// no bytes on this disk).
struct M037_AddRemoteLibraries: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.sql.raw("ALTER TABLE libraries ADD COLUMN remote_uri VARCHAR(2000)").run()
        // One mirror of a remote library per local follower.
        try await database.sql.raw("CREATE UNIQUE INDEX libraries_remote ON libraries (remote_uri, owner_id)").run()
        try await database.schema("remote_files")
            .field("file_id", .int64, .identifier(auto: false), .references("files", "id", onDelete: .cascade))
            .field("library_id", .int64, .required, .references("libraries", "id", onDelete: .cascade))
            // The Audio object's id on its instance, and where its bytes are.
            .field("audio_uri", .string, .required)
            .field("stream_url", .string, .required)
            .field("media_type", .string, .required)
            // The track and album it belongs to there, and the Audio object as last received:
            // an Update or Delete may name the track, album or artist instead of the audio.
            .field("track_uri", .string)
            .field("album_uri", .string)
            .field("document", .string, .required)
            .create()
        try await database.sql.raw("CREATE UNIQUE INDEX remote_files_audio ON remote_files (library_id, audio_uri)").run()
        try await database.sql.raw("CREATE INDEX remote_files_uri ON remote_files (audio_uri)").run()
        try await database.sql.raw("CREATE INDEX remote_files_track ON remote_files (track_uri)").run()
        try await database.sql.raw("CREATE INDEX remote_files_album ON remote_files (album_uri)").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("remote_files").delete()
        try await database.sql.raw("DROP INDEX libraries_remote").run()
        try await database.sql.raw("ALTER TABLE libraries DROP COLUMN remote_uri").run()
    }
}

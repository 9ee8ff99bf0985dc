import SQLKit
import Vapor

/// Cover images, stored once per content hash under `<data>/artwork`.
enum ArtworkStore {
    static let directoryName = "artwork"

    static func directory(_ settings: Settings) -> URL {
        settings.mediaDirectory.appendingPathComponent(directoryName, isDirectory: true)
    }

    static func fileExtension(forMime mime: String) -> String {
        switch mime {
        case "image/png": return "png"
        case "image/webp": return "webp"
        case "image/gif": return "gif"
        default: return "jpg"
        }
    }

    static func url(hash: String, mime: String, settings: Settings) -> URL {
        directory(settings).appendingPathComponent(String(hash.prefix(2)), isDirectory: true)
            .appendingPathComponent("\(hash).\(fileExtension(forMime: mime))")
    }

    /// The largest image kept; larger covers are ignored.
    static let maxBytes = 20 << 20

    /// Stores image bytes (if not already stored) and returns the artwork id; `hash` when the
    /// caller has already computed it (off the event loops).
    static func store(_ data: Data, mime: String, hash known: String? = nil, settings: Settings, on db: any SQLDatabase) async throws -> Int64? {
        guard data.count > 16, data.count <= maxBytes else { return nil }
        let hash = known ?? Fingerprint.sha256(data)
        let target = url(hash: hash, mime: mime, settings: settings)
        if !FileManager.default.fileExists(atPath: target.path) {
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: target, options: .atomic)
        }
        // The no-op update makes the row come back whether it is new or was already there.
        return try await db.raw(
            """
            INSERT INTO artworks (hash, mime, bytes, created_at) VALUES (\(bind: hash), \(bind: mime), \(bind: Int64(data.count)), \(bind: Clock.nowMillis()))
            ON CONFLICT (hash) DO UPDATE SET hash = excluded.hash RETURNING id
            """
        ).first()?.decode(column: "id", as: Int64.self)
    }
}

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
    /// The most pixels a cover is decoded at (resized copies are made from it): 8000 × 4500.
    static let maxDecodedPixels = 36_000_000

    /// An image in the store, waiting for its `artworks` row.
    struct Stored: Sendable {
        var hash: String
        var mime: String
        var bytes: Int64
    }

    /// Writes image bytes to the store (if not already there); the row is the caller's to write
    /// (``CatalogWriter`` writes a batch's rows together). `hash` when the caller has already
    /// computed it (off the event loops).
    static func save(_ data: Data, mime: String, hash known: String? = nil, settings: Settings) throws -> Stored? {
        guard data.count > 16, data.count <= maxBytes else { return nil }
        let hash = known ?? Fingerprint.sha256(data)
        let target = url(hash: hash, mime: mime, settings: settings)
        if !FileManager.default.fileExists(atPath: target.path) {
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: target, options: .atomic)
        }
        return Stored(hash: hash, mime: mime, bytes: Int64(data.count))
    }

    /// The `artworks` rows of stored images, by hash (new rows inserted, present ones returned as they are).
    static func record(_ images: [Stored], on db: any SQLDatabase) async throws -> [String: Int64] {
        var unique: [String: Stored] = [:]
        for image in images where unique[image.hash] == nil { unique[image.hash] = image }
        let now = Clock.nowMillis()
        var ids: [String: Int64] = [:]
        // DO NOTHING, not a no-op update: that would lock every cover already stored until the
        // batch commits, and concurrent scans sharing a cover would wait on (or deadlock with) each other.
        for row in try await db.insertRows(
            into: "artworks (hash, mime, bytes, created_at)",
            rows: unique.values.sorted { $0.hash < $1.hash }.map { [SQLBind($0.hash), SQLBind($0.mime), SQLBind($0.bytes), SQLBind(now)] },
            suffix: "ON CONFLICT (hash) DO NOTHING RETURNING id, hash", maxBinds: 900)
        {
            ids[try row.decode(column: "hash", as: String.self)] = try row.decode(column: "id", as: Int64.self)
        }
        for chunk in unique.keys.filter({ ids[$0] == nil }).sorted().chunked(500) {
            for row in try await db.raw("SELECT id, hash FROM artworks WHERE hash IN (\(SQLList(chunk.map { SQLBind($0) })))").all() {
                ids[try row.decode(column: "hash", as: String.self)] = try row.decode(column: "id", as: Int64.self)
            }
        }
        return ids
    }
}

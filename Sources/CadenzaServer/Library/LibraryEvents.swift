import SQLKit
/// The library's event types. A folder library's events go to its owner, an instance library's
/// to administrators (the writer overrides the visibility for those).
enum LibraryEvents {
    struct ScanStarted: Encodable, Sendable {
        var folderId: String
        var toRead: String
    }

    struct ScanProgress: Encodable, Sendable {
        var folderId: String
        var processed: String
        var total: String
    }

    struct UploadOutcome: Encodable, Sendable {
        var fileId: String
        var name: String
        var libraryId: String
        var trackId: String?
        var error: String?
    }

    static let scanStarted = EventType<ScanStarted>("library.scan.started", visibility: .user, subjectType: "library")
    static let scanProgress = EventType<ScanProgress>("library.scan.progress", visibility: .user, subjectType: "library")
    static let scanFinished = EventType<LibraryScanner.Summary>("library.scan.finished", visibility: .user, subjectType: "library")
    static let uploadImported = EventType<UploadOutcome>("upload.imported", visibility: .user, subjectType: "file")
    static let uploadFailed = EventType<UploadOutcome>("upload.failed", visibility: .user, subjectType: "file")

    /// A scan or upload made a new album; those who may see its library may hear of it.
    struct AlbumAdded: Codable, Sendable {
        var albumId: String
        var title: String
        var artistId: String
        var artist: String
        var libraryId: String
        var libraryVisibility = "private"
        var libraryOwnerId: String? = nil
    }

    static let albumAdded = EventType<AlbumAdded>("album.added", visibility: .library, subjectType: "album")

    /// A library's files changed (added, retagged, removed): what other features mirror of a
    /// library (federation's followers) is brought up to date from the catalog itself.
    struct CatalogChanged: Codable, Sendable {
        var libraryId: Int64
    }

    static let catalogChanged = EventType<CatalogChanged>("library.catalog_changed", visibility: .system, subjectType: "library")

    static let all = [
        scanStarted.descriptor, scanProgress.descriptor, scanFinished.descriptor,
        uploadImported.descriptor, uploadFailed.descriptor, albumAdded.descriptor, catalogChanged.descriptor,
    ]

    /// In the transaction that changed the library's files, after its other events.
    static func appendCatalogChanged(libraryID: Int64, on db: any SQLDatabase) async throws {
        try await EventStore.append(catalogChanged, payload: CatalogChanged(libraryId: libraryID), actorID: nil, subjectID: String(libraryID), on: db)
    }
}

extension EventVisibility {
    /// Whoever may see the library named in the payload's `libraryId`.
    static let library = EventVisibility("library")
}

/// The `library` audience: who may see the event's library now (the table is read when the
/// stream opens); a library made since is judged by the visibility and owner the event carries.
struct LibraryAudience: EventAudience {
    var visibility: EventVisibility { .library }

    func filter(for viewer: EventViewer, on db: any SQLDatabase) async throws -> any EventAudienceFilter {
        let table = try await Libraries.visibilityTable(on: db)
        return Filter(
            viewer: viewer, known: Set(table.map { String($0.id) }),
            visible: Set(Libraries.visibleIDs(userID: viewer.userID, isAdmin: viewer.isAdmin, in: table).map(String.init)))
    }

    struct Filter: EventAudienceFilter {
        let viewer: EventViewer
        let known: Set<String>
        let visible: Set<String>

        mutating func observe(_ event: EventRecord) {}

        func includes(_ event: EventRecord) -> Bool {
            if viewer.isAdmin { return true }
            guard let library = event.decodedPayload(as: LibraryAccess.self) else { return false }
            if known.contains(library.libraryId) { return visible.contains(library.libraryId) }
            return library.libraryVisibility != "private" || library.libraryOwnerId == String(viewer.userID)
        }

        private struct LibraryAccess: Decodable {
            var libraryId: String
            var libraryVisibility: String
            var libraryOwnerId: String?
        }
    }
}

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

    static let all = [
        scanStarted.descriptor, scanProgress.descriptor, scanFinished.descriptor,
        uploadImported.descriptor, uploadFailed.descriptor,
    ]
}

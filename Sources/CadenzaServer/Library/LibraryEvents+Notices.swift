/// What notifications say about the library's events.
extension LibraryEvents {
    private struct Upload: Decodable {
        var name: String
        var libraryId: String
        var trackId: String?
        var error: String?
    }

    private struct Scan: Decodable {
        var libraryId: String
        var added: Int
        var updated: Int
        var removed: Int
        var failed: Int
    }

    static let notifiable = [
        NotifiableEvent(type: uploadImported.name, references: libraryReference) { event, _ in
            guard let upload = event.decodedPayload(as: Upload.self) else { return nil }
            return EventNotice(title: "Uploaded: \(upload.name)", body: "It is in your library.", link: "/#/upload")
        },
        NotifiableEvent(type: uploadFailed.name, severity: .error, references: libraryReference) { event, _ in
            guard let upload = event.decodedPayload(as: Upload.self) else { return nil }
            return EventNotice(title: "Upload failed: \(upload.name)", body: upload.error ?? "", link: "/#/upload")
        },
        NotifiableEvent(
            type: albumAdded.name,
            references: { event in
                guard let album = event.decodedPayload(as: AlbumAdded.self) else { return [] }
                return [.object("artist", album.artistId), .object("library", album.libraryId)]
            }
        ) { event, _ in
            guard let album = event.decodedPayload(as: AlbumAdded.self) else { return nil }
            return EventNotice(title: "New album by \(album.artist): \(album.title)", link: "/#/albums/\(album.albumId)")
        },
        NotifiableEvent(
            type: scanFinished.name, severityOf: { event in (event.decodedPayload(as: Scan.self)?.failed ?? 0) > 0 ? .warning : .info },
            references: libraryReference
        ) { event, _ in
            guard let scan = event.decodedPayload(as: Scan.self) else { return nil }
            var body = "\(scan.added) added, \(scan.updated) updated, \(scan.removed) removed"
            if scan.failed > 0 { body += ", \(scan.failed) could not be read" }
            return EventNotice(title: "Library scan finished", body: body, link: "/#/albums")
        },
    ]

    private static func libraryReference(_ event: EventRecord) -> [EventReference] {
        guard let id = event.decodedPayload(as: LibraryID.self)?.libraryId else { return [] }
        return [.object("library", id)]
    }

    private struct LibraryID: Decodable {
        var libraryId: String
    }
}

import Fluent

extension Migrations {
    /// Append-only: a released migration is never edited, only followed by a new one.
    static var cadenza: [any Migration] {
        [
            M001_CreateUsers(),
            M002_CreateSessions(),
            M003_CreateAPITokens(),
            M004_CreateJobs(),
            M005_CreateEvents(),
            M006_CreateRateLimits(),
            M007_CreateServerState(),
            M008_CreateLibraries(),
            M009_CreateCatalog(),
            M010_CreateSubsonicTables(),
            M011_CreateListens(),
            M012_CreateInvites(),
            M013_AddAnnotationsVersion(),
        ]
    }

    func addCadenzaMigrations() {
        add(Self.cadenza)
    }
}

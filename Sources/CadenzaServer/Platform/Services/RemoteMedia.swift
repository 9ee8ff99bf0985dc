import Vapor

/// Audio whose bytes live on another server (a file of a library mirrored from elsewhere).
public struct RemoteMediaSource: Sendable {
    public var fileID: Int64
    public var url: String
    public var mediaType: String
    public var size: Int64
    /// Changes when the file does (the cached copy is then stale).
    public var version: Int64
    /// Whose key fetches it.
    public var ownerID: Int64?
}

/// Fetching remote audio, provided by the feature that knows how (federation), so the library
/// streams such files without naming it. Absent when no feature provides it.
public struct RemoteMedia: Sendable {
    /// Answers `req` with the audio (its Range passed on), streamed through while it is cached.
    public var stream: @Sendable (_ source: RemoteMediaSource, _ req: Request) async throws -> Response
    /// A whole local copy (fetched first when missing), for transcoding.
    public var localCopy: @Sendable (_ source: RemoteMediaSource, _ req: Request) async throws -> String
}

import CadenzaPlayout
import NIOCore
import Vapor

/// An Icecast-style listener response: a mount's bytes as they are encoded, for as long as the
/// listener stays. Clients that send `Icy-MetaData: 1` get `icy-metaint` and in-stream titles.
enum MountResponse {
    /// Subscribes the caller to `mount` and streams it; `left` runs once the listener is gone.
    /// Nil when the mount has as many listeners as it takes.
    static func listen(_ req: Request, to mount: Mount, headers extra: [(String, String)], left: @escaping @Sendable () -> Void = {}) -> Response? {
        let icy = req.headers.first(name: "Icy-MetaData") == "1"
        guard let (id, stream) = mount.subscribe(icy: icy, userAgent: req.headers.first(name: .userAgent) ?? "") else { return nil }
        var headers = HTTPHeaders(
            [
                ("Content-Type", mount.format.contentType), ("Cache-Control", "no-cache, no-store"),
                ("icy-br", String(mount.bitrate.kbps)),
            ] + extra)
        if icy { headers.add(name: "icy-metaint", value: String(Mount.metaint)) }
        return Response(
            status: .ok, headers: headers,
            body: .init(asyncStream: { writer in
                do {
                    for await chunk in stream { try await writer.write(.buffer(ByteBuffer(bytes: chunk))) }
                    try await writer.write(.end)
                } catch {
                    // The listener went away; the writer still wants to be told it is over.
                    try? await writer.write(.error(error))
                }
                mount.unsubscribe(id)
                left()
            }))
    }

    /// One line, as Icecast sends it (UTF-8); control characters become spaces.
    static func headerSafe(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.prefix(200).map { $0.value < 32 || $0.value == 127 ? " " : $0 }))
    }
}

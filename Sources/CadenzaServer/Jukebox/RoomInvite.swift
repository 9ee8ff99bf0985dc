import Foundation
import Vapor

/// The link and the QR code that bring a guest's phone into a room.
enum RoomInvite {
    /// The public URL, unless it names this machine alone (loopback or unspecified, as it does
    /// when CADENZA_PUBLIC_URL is unset): then the address the host's browser used, which a
    /// phone on the same network can reach when the host opened the page over the network.
    static func base(_ req: Request) throws -> String {
        var configured = try req.application.settings.publicURL
        while configured.hasSuffix("/") { configured.removeLast() }
        guard let components = URLComponents(string: configured), let host = components.host?.lowercased() else { return configured }
        let machineOnly = ["localhost", "0.0.0.0", "::1", "::"].contains(host) || host.hasPrefix("127.")
        guard machineOnly, let asked = req.headers.first(name: .host), validHost(asked) else { return configured }
        return "\(components.scheme ?? "http")://\(asked)"
    }

    /// A Host header as a browser sends it: a name or address and an optional port, nothing that
    /// could turn the link into another path or scheme.
    static func validHost(_ value: String) -> Bool {
        (1...255).contains(value.utf8.count)
            && value.unicodeScalars.allSatisfy {
                $0.properties.isASCIIHexDigit || ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ".-:[]".unicodeScalars.contains($0)
            }
    }

    /// URL-unreserved characters stay as they are (a code is base64url: `-` and `_` included).
    static let unreserved = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)...Unicode.Scalar(127)))
        .union(CharacterSet(charactersIn: "-._~"))

    static func link(_ req: Request, slug: String, code: String) throws -> String {
        "\(try base(req))/#/party/\(slug)?code=\(code.addingPercentEncoding(withAllowedCharacters: unreserved) ?? "")"
    }

    /// `GET /api/v1/rooms/{slug}/qr.svg` (the host): the join link as a QR code, for the speaker
    /// screen or a printout. Never cached: it holds the code, and rotating the code changes it.
    @Sendable static func qr(req: Request) async throws -> Response {
        let member = try await RoomsController.host(req)
        guard let code = try req.application.secretBox.open(member.room.joinCodeSealed) else { throw APIError.notFound("Room") }
        guard let svg = QRCode.svg(try link(req, slug: member.room.slug, code: code)) else {
            throw APIError.unprocessable("The join link is too long for a QR code; shorten CADENZA_PUBLIC_URL.")
        }
        let response = Response(status: .ok, body: .init(string: svg))
        response.headers.contentType = HTTPMediaType(type: "image", subType: "svg+xml")
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        response.headers.replaceOrAdd(name: "Content-Security-Policy", value: "default-src 'none'; style-src 'unsafe-inline'")
        return response
    }
}
